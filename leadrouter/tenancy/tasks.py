"""Celery entry points of the tenancy core."""

from celery import shared_task

from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.tasks_base import TenantTask


@shared_task(base=TenantTask, name="tenancy.audit_record")
def audit_record_task(tenant_id: int, actor: str, action: str, data: dict | None = None) -> None:
    """Write an audit event off the request path (used for logins)."""
    audit_record(tenant=tenant_id, actor=actor, action=action, data=data)

# Tasks defined next to their services; imported here so the worker registers them.
from leadrouter.tenancy.invitations import invitation_send_task  # noqa: E402, F401

"""Writing to the audit trail."""

from django.db import models

from leadrouter.tenancy.models import AuditEvent, Tenant


def actor_label(actor) -> str:
    """How an actor appears in the trail: a user's e-mail, an API key, or `system`."""
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor
    api_key = getattr(actor, "api_key", None)
    if api_key is not None:
        return f"api-key:{api_key.prefix}"
    return getattr(actor, "email", "") or getattr(actor, "username", "") or str(actor)


def audit_record(*, tenant: Tenant | int, actor, action: str,
                 target: models.Model | None = None, data: dict | None = None) -> AuditEvent:
    """Append one event. Call it inside the service's transaction so both land or neither."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    return AuditEvent.objects.create(
        tenant_id=tenant_id,
        actor=actor_label(actor),
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
    )

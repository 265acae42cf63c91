"""Logins go to the audit trail of every tenant the user belongs to."""

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver

from leadrouter.tenancy.memberships import memberships_for_user
from leadrouter.tenancy.tasks import audit_record_task


@receiver(user_logged_in)
def _audit_login(sender, request, user, **kwargs) -> None:
    for membership in memberships_for_user(user):
        audit_record_task.delay_on_commit(membership.tenant_id, user.email, "user.login")

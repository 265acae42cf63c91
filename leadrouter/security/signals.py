"""Failed logins go to the audit trail of every tenant the named user belongs to.

Only the fact, the login path and whether the lockout answered are recorded: never the
password (Django masks it in `credentials` anyway) and not the IP address.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver

from leadrouter.tenancy.memberships import memberships_for_user
from leadrouter.tenancy.tasks import audit_record_task


@receiver(user_login_failed)
def _audit_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    username = (credentials or {}).get("username")
    if not username or request is None:
        return
    user_model = get_user_model()
    user = user_model._default_manager.filter(**{user_model.USERNAME_FIELD: username}).first()
    if user is None:
        # Unknown names belong to no tenant; the login throttle still counts them.
        return
    data = {"path": request.path, "locked_out": bool(getattr(request, "axes_locked_out", False))}
    for membership in memberships_for_user(user):
        audit_record_task.delay_on_commit(membership.tenant_id, user.email, "user.login_failed",
                                          data)

"""The Celery base task for tenant work.

Tasks take ids, never model instances. A tenant task's first argument is the tenant id;
the base class opens that tenant's scope around the run, so the task body queries exactly
as a request would.
"""

from celery.contrib.django.task import DjangoTask
from django.db import transaction

from leadrouter.tenancy.scoping import tenant_scope


class TenantTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, tenant_id: int, *args, **kwargs):
        with tenant_scope(int(tenant_id)):
            return super().__call__(tenant_id, *args, **kwargs)

    def delay_on_commit(self, *args, **kwargs) -> None:
        """Send after commit; if the broker is down then, log it instead of raising: the
        change is committed, and an error would tell the user it was not. What the task
        would do is covered by rows the periodic sweep picks up (webhook deliveries, leads
        still `new`) or by the nightly recompute; an e-mail is lost (logged)."""
        def send() -> None:  # a named function: Django's log of a failure names it
            self.delay(*args, **kwargs)

        send.__qualname__ = f"{self.name} (after commit)"
        transaction.on_commit(send, robust=True)

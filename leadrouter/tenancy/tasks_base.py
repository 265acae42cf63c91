"""The Celery base task for tenant work.

Tasks take ids, never model instances. A tenant task's first argument is the tenant id;
the base class opens that tenant's scope around the run, so the task body queries exactly
as a request would.
"""

from celery.contrib.django.task import DjangoTask

from leadrouter.tenancy.scoping import tenant_scope


class TenantTask(DjangoTask):
    acks_late = True
    reject_on_worker_lost = True

    def __call__(self, tenant_id: int, *args, **kwargs):
        with tenant_scope(int(tenant_id)):
            return super().__call__(tenant_id, *args, **kwargs)

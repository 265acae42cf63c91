"""factory_boy factories. Tenant-owned objects are built inside the tenant's scope."""

import factory
from django.contrib.auth import get_user_model

from leadrouter.tenancy.models import Membership, Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leadrouter.tenancy.services import user_create_in_tenant


class TenantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tenant
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"tenant-{n}")
    name = factory.Sequence(lambda n: f"Tenant {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()

    username = factory.Sequence(lambda n: f"user{n}@example.com")
    email = factory.SelfAttribute("username")


def membership_create(tenant: Tenant, email: str, role: str, password: str,
                      partner=None) -> Membership:
    with tenant_scope(tenant):
        return user_create_in_tenant(tenant=tenant, email=email, role=role, password=password,
                                     partner=partner)

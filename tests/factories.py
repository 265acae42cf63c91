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


def partner_create(tenant: Tenant, **fields):
    """A plain active partner in Germany; pass fields to change it."""
    from partners.models import Partner

    defaults = {
        "external_id": None,
        "name": "Partner", "country": "DE", "postal_code": "80331", "city": "München",
        "employees": 20, "capacity": 10,
    }
    defaults.update(fields)
    with tenant_scope(tenant):
        if not defaults["external_id"]:
            defaults["external_id"] = f"P-{Partner.objects.count() + 1:04d}"
        return Partner.objects.create(tenant=tenant, **defaults)


def term_create(tenant: Tenant, kind: str, code: str, name: str = "", level=None):
    from partners.models import TaxonomyTerm

    with tenant_scope(tenant):
        return TaxonomyTerm.objects.create(tenant=tenant, kind=kind, code=code,
                                           name=name or code, level=level)


def lead_create(tenant: Tenant, **fields):
    """A lead stored as-is (no ingestion rules, no routing): for tests of later stages."""
    from leads.models import Lead

    defaults = {"company_name": "Kunde GmbH", "country": "DE", "postal_code": "80331",
                "city": "München", "employees": 50, "deal_value": 25000,
                "contact_name": "Erika Mustermann", "contact_email": "erika@kunde.example",
                "contact_phone": "+49 89 1234567"}
    defaults.update(fields)
    with tenant_scope(tenant):
        return Lead.objects.create(tenant=tenant, **defaults)

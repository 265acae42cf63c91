import pytest
from django_scopes import ScopeError

from leadrouter.tenancy.models import ApiKey, Membership
from leadrouter.tenancy.scoping import all_tenants, tenant_scope


def test_it_refuses_a_query_outside_a_tenant_scope(manager_a):
    with pytest.raises(ScopeError):
        list(Membership.objects.all())


def test_it_sees_only_the_scope_tenants_rows(manager_a, manager_b, tenant_a, tenant_b):
    with tenant_scope(tenant_a):
        emails = [m.user.email for m in Membership.objects.all()]
    assert emails == ["manager@acme.example"]
    with tenant_scope(tenant_b):
        emails = [m.user.email for m in Membership.objects.all()]
    assert emails == ["manager@globex.example"]


def test_it_crosses_tenants_only_inside_all_tenants(manager_a, manager_b):
    with all_tenants():
        assert Membership.objects.count() == 2


def test_it_scopes_every_tenant_owned_model(manager_a):
    with pytest.raises(ScopeError):
        ApiKey.objects.count()

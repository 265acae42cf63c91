"""Shared fixtures: personas of two tenants, logged-in clients, API clients.

Personas (STYLE.md §10): a manager of tenant A; partner users of two partners of tenant A
(each must not see the other's offers and leads); a manager of tenant B — the stranger who
should have no access to anything of A, and must get 404 for it.
"""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.models import Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import TenantFactory, membership_create, partner_create

PASSWORD = "correct-horse-battery-9"


@pytest.fixture(autouse=True)
def _eager_celery(settings):
    # Tasks run in-process unless a test starts a real worker (see tests/tenancy/celery_worker).
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_TASK_EAGER_PROPAGATES = True


@pytest.fixture
def tenant_a(db):
    return TenantFactory(slug="acme", name="ACME Maschinen")


@pytest.fixture
def tenant_b(db):
    return TenantFactory(slug="globex", name="Globex Werke")


@pytest.fixture
def manager_a(tenant_a):
    return membership_create(tenant_a, "manager@acme.example", Role.MANAGER, PASSWORD).user


@pytest.fixture
def admin_a(tenant_a):
    return membership_create(tenant_a, "admin@acme.example", Role.ADMIN, PASSWORD).user


@pytest.fixture
def manager_b(tenant_b):
    return membership_create(tenant_b, "manager@globex.example", Role.MANAGER, PASSWORD).user


@pytest.fixture
def partner_a1(tenant_a):
    return partner_create(tenant_a, external_id="P-A1", name="Alpha Systemhaus",
                          notification_email="offers@alpha.example")


@pytest.fixture
def partner_a2(tenant_a):
    return partner_create(tenant_a, external_id="P-A2", name="Beta Technik",
                          postal_code="10115", city="Berlin")


@pytest.fixture
def partner_user_a1(tenant_a, partner_a1):
    return membership_create(tenant_a, "sales@alpha.example", Role.PARTNER, PASSWORD,
                             partner=partner_a1).user


@pytest.fixture
def partner_user_a2(tenant_a, partner_a2):
    return membership_create(tenant_a, "sales@beta.example", Role.PARTNER, PASSWORD,
                             partner=partner_a2).user


@pytest.fixture
def partner_client_a1(client, partner_user_a1):
    client.force_login(partner_user_a1)
    return client


@pytest.fixture
def partner_api_a1(tenant_a, partner_a1) -> APIClient:
    return _api_client(tenant_a, name="Alpha CRM", partner=partner_a1)


@pytest.fixture
def client_a(client, manager_a):
    client.force_login(manager_a)
    return client


@pytest.fixture
def client_b(client, manager_b):
    client.force_login(manager_b)
    return client


def _api_client(tenant, name="CRM", partner=None) -> APIClient:
    with tenant_scope(tenant):
        issued = api_key_create(tenant=tenant, name=name, partner=partner)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.plain_key}")
    api.api_key = issued.api_key
    return api


@pytest.fixture
def api_a(tenant_a) -> APIClient:
    return _api_client(tenant_a)


@pytest.fixture
def api_b(tenant_b) -> APIClient:
    return _api_client(tenant_b)


@pytest.fixture
def scope_a(tenant_a):
    with tenant_scope(tenant_a):
        yield tenant_a


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (set DATABASE_URL or run PostgreSQL on 127.0.0.1:5432)")


# Tests that open many database connections at once, or alter the shared application
# role, run one after another on a single xdist worker (`--dist loadgroup`): two of them
# side by side would exceed PostgreSQL's 100 connections or race on ALTER ROLE.
SERIAL_GROUPS = {
    "test_dispatch_broadcast.py": "db-heavy",
    "test_idempotency.py": "db-heavy",
    "test_api_rate_limit.py": "db-heavy",
    "test_races.py": "db-heavy",
    "test_offer_lifecycle_machine.py": "db-heavy",
    "test_row_level_security.py": "db-role",
    "test_row_level_security_every_table.py": "db-role",
}


def pytest_collection_modifyitems(items):
    for item in items:
        group = SERIAL_GROUPS.get(item.path.name)
        if group:
            item.add_marker(pytest.mark.xdist_group(group))

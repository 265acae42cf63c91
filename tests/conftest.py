"""Shared fixtures: personas of two tenants, logged-in clients, API clients.

Personas (STYLE.md §10): a manager of tenant A, a manager of tenant B (the stranger who
should have no access to anything of A). Apps add partner personas as they appear.
"""

import pytest
from django.db import connection
from rest_framework.test import APIClient

from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.models import Role
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import TenantFactory, membership_create

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

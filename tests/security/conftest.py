"""Fixtures of the security tests."""

import pytest

from tests.conftest import PASSWORD
from tests.factories import membership_create


@pytest.fixture
def admin_client_a(client, admin_a):
    client.force_login(admin_a)
    return client


@pytest.fixture
def admin_b(tenant_b):
    from leadrouter.tenancy.models import Role

    return membership_create(tenant_b, "admin@globex.example", Role.ADMIN, PASSWORD).user


@pytest.fixture
def admin_client_b(client, admin_b):
    client.force_login(admin_b)
    return client

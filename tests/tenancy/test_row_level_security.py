"""The second wall: PostgreSQL row-level security under the application's own role."""

import psycopg
import pytest
from django.core.management import call_command
from django.db import connection

from leadrouter.tenancy.models import Role
from tests.conftest import PASSWORD
from tests.factories import membership_create

pytestmark = pytest.mark.server


@pytest.fixture
def app_role_connection(transactional_db, postgres_only, tenant_a, tenant_b):
    membership_create(tenant_a, "ann@acme.example", Role.MANAGER, PASSWORD)
    membership_create(tenant_a, "al@acme.example", Role.MANAGER, PASSWORD)
    membership_create(tenant_b, "bo@globex.example", Role.MANAGER, PASSWORD)
    call_command("setup_db_role", "--role", "leadrouter_app")
    params = connection.get_connection_params()
    conn = psycopg.connect(
        dbname=connection.settings_dict["NAME"], user="leadrouter_app",
        host=params.get("host") or "127.0.0.1", port=params.get("port") or 5432,
        autocommit=True,
    )
    yield conn
    conn.close()


def test_it_shows_no_rows_without_a_tenant_setting(app_role_connection):
    count = app_role_connection.execute("SELECT count(*) FROM tenancy_membership").fetchone()[0]
    assert count == 0


def test_it_shows_only_the_set_tenants_rows(app_role_connection, tenant_a):
    app_role_connection.execute("SELECT set_config('app.tenant_id', %s, false)",
                                [str(tenant_a.pk)])
    tenants = app_role_connection.execute(
        "SELECT DISTINCT tenant_id FROM tenancy_membership").fetchall()
    assert tenants == [(tenant_a.pk,)]


def test_it_refuses_to_write_a_row_into_another_tenant(app_role_connection, tenant_a, tenant_b):
    app_role_connection.execute("SELECT set_config('app.tenant_id', %s, false)",
                                [str(tenant_a.pk)])
    with pytest.raises(psycopg.errors.InsufficientPrivilege):
        app_role_connection.execute(
            "INSERT INTO tenancy_auditevent (tenant_id, created_at, actor, action, target_type,"
            " target_id, data) VALUES (%s, now(), 'x', 'x', '', '', '{}')", [tenant_b.pk])


def test_it_uses_a_role_that_neither_owns_the_tables_nor_bypasses_rls(app_role_connection):
    row = app_role_connection.execute(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").fetchone()
    assert row == (False, False)
    owner = app_role_connection.execute(
        "SELECT tableowner FROM pg_tables WHERE tablename = 'tenancy_membership'").fetchone()[0]
    assert owner != "leadrouter_app"


def test_it_has_a_policy_on_every_tenant_owned_table(transactional_db, postgres_only):
    from django.apps import apps

    from leadrouter.tenancy.models import TenantOwned

    tables = {m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation'")
        with_policy = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relname FROM pg_class WHERE relforcerowsecurity")
        forced = {row[0] for row in cursor.fetchall()}
    assert tables <= with_policy
    assert tables <= forced


def test_it_reads_the_tenant_setting_once_per_statement(transactional_db, postgres_only):
    # Per row, the cast and the setting's lookup cost more than the rest of a scan's filter:
    # every policy reads the setting in sub-selects (an InitPlan, evaluated once).
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, qual, with_check FROM pg_policies"
                       " WHERE policyname = 'tenant_isolation'")
        policies = cursor.fetchall()
    per_row = [table for table, qual, check in policies
               if "::text = current_setting" in qual or "::text = current_setting" in check]
    assert policies and per_row == []


@pytest.mark.parametrize("setting, sees", [("", "nothing"), ("*", "all"), ("own", "own")])
def test_it_filters_each_setting_as_before(app_role_connection, tenant_a, setting, sees):
    value = str(tenant_a.pk) if setting == "own" else setting
    app_role_connection.execute("SELECT set_config('app.tenant_id', %s, false)", [value])
    tenants = {row[0] for row in app_role_connection.execute(
        "SELECT tenant_id FROM tenancy_membership").fetchall()}
    expected = {"nothing": set(), "all": None, "own": {tenant_a.pk}}[sees]
    if expected is None:
        assert len(tenants) == 2  # both tenants' members
    else:
        assert tenants == expected

"""The second wall on every tenant-owned table, under the application's own database role.

Extends tests/tenancy/test_row_level_security.py (which samples one table) to all of them:
every subclass of TenantOwned has the `tenant_isolation` policy with RLS enabled and FORCEd;
the role the application connects as in production owns none of them and cannot bypass RLS;
with no tenant set it sees no row of any of them, with tenant A set only A's rows.
"""

import psycopg
import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import override_settings
from psycopg import sql

from leadrouter.tenancy.models import TenantOwned
from tests.proof.conftest import FAST_HASHERS, world_build

pytestmark = pytest.mark.server

# Its own role name, so parallel runs of tests/tenancy do not ALTER the same role at once.
APP_ROLE = "leadrouter_proof_app"


def tenant_owned_tables() -> list[str]:
    return sorted({m._meta.db_table for m in apps.get_models() if issubclass(m, TenantOwned)})


@pytest.fixture
def app_role(transactional_db, postgres_only):
    """A connection as the production application role, with three tenants' rows in place."""
    with override_settings(PASSWORD_HASHERS=FAST_HASHERS):
        world = world_build()
    call_command("setup_db_role", "--role", APP_ROLE)
    params = connection.get_connection_params()
    conn = psycopg.connect(dbname=connection.settings_dict["NAME"], user=APP_ROLE,
                           host=params.get("host") or "127.0.0.1",
                           port=params.get("port") or 5432, autocommit=True)
    yield conn, world
    conn.close()


def test_it_has_a_forced_policy_on_every_tenant_owned_table(transactional_db, postgres_only):
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = 'tenant_isolation'")
        with_policy = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT relname FROM pg_class "
                       "WHERE relrowsecurity AND relforcerowsecurity")
        forced = {row[0] for row in cursor.fetchall()}
    tables = set(tenant_owned_tables())
    assert not tables - with_policy, sorted(tables - with_policy)
    assert not tables - forced, sorted(tables - forced)


def test_it_connects_as_a_role_that_owns_no_table_and_cannot_bypass(app_role):
    conn, _ = app_role
    assert conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles "
                        "WHERE rolname = current_user").fetchone() == (False, False)
    owned = conn.execute("SELECT tablename FROM pg_tables WHERE tableowner = current_user "
                         "AND schemaname = 'public'").fetchall()
    assert owned == []


def test_it_shows_no_row_of_any_table_without_a_tenant(app_role):
    conn, _ = app_role
    seen = {}
    for table in tenant_owned_tables():
        count = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(
            sql.Identifier(table))).fetchone()[0]
        if count:
            seen[table] = count
    assert seen == {}
    # The rows are there: the superuser (who bypasses RLS) sees them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead")
        assert cursor.fetchone()[0] >= 12


def test_it_shows_only_the_set_tenants_rows_in_every_table(app_role):
    conn, world = app_role
    tenant_a = world["a"].tenant.pk
    conn.execute("SELECT set_config('app.tenant_id', %s, false)", [str(tenant_a)])
    foreign = {}
    populated = 0
    for table in tenant_owned_tables():
        tenants = {row[0] for row in conn.execute(sql.SQL(
            "SELECT DISTINCT tenant_id FROM {}").format(sql.Identifier(table))).fetchall()}
        populated += bool(tenants)
        if tenants - {tenant_a}:
            foreign[table] = sorted(tenants - {tenant_a})
    assert foreign == {}
    assert populated >= 15  # the world fills most tables, so the check means something

"""The tenant scope: the one place that decides which tenant's rows a unit of work sees.

Two walls:
1. django-scopes: a query on a tenant-owned model outside `tenant_scope()` raises
   ScopeError, so a forgotten filter is an error, not a leak.
2. On PostgreSQL, row-level security (migration tenancy.0002 and later ones) filters on
   the connection setting `app.tenant_id`, which `tenant_scope()` sets and resets.

The scope is opened only by the middleware (requests), the API-key authentication
(inside that middleware) and the Celery base task. Crossing tenants happens only inside
`all_tenants()`, used by a few named, commented functions.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django_scopes import scope, scopes_disabled

from leadrouter.tenancy.models import Tenant

ALL_TENANTS = "*"

# What the database connection of this thread/task should see in `app.tenant_id`.
_db_tenant: ContextVar[str] = ContextVar("db_tenant", default="")


def _apply_db_tenant(conn, value: str) -> None:
    if conn.vendor != "postgresql":
        return
    with conn.cursor() as cursor:
        # Session-level (is_local=false): Django runs in autocommit, so a transaction-local
        # setting would vanish after the first statement. The scope resets it on exit.
        cursor.execute("SELECT set_config('app.tenant_id', %s, false)", [value])


@receiver(connection_created)
def _on_connection_created(sender, connection, **kwargs) -> None:
    # A connection opened (or re-opened) inside a scope starts with that scope's tenant.
    value = _db_tenant.get()
    if value:
        _apply_db_tenant(connection, value)


@contextmanager
def _db_tenant_set(value: str) -> Iterator[None]:
    token = _db_tenant.set(value)
    if connection.connection is not None:
        _apply_db_tenant(connection, value)
    # else: the connection_created receiver applies it when the connection opens.
    try:
        yield
    finally:
        _db_tenant.reset(token)
        if connection.connection is not None:
            _apply_db_tenant(connection, _db_tenant.get())


@contextmanager
def tenant_scope(tenant: Tenant | int) -> Iterator[None]:
    """Run the block as `tenant`: scoped managers filter on it, RLS sees only its rows."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    with _db_tenant_set(str(tenant_id)), scope(tenant=tenant_id):
        yield


@contextmanager
def all_tenants() -> Iterator[None]:
    """Lift both walls. Only for named cross-tenant work: logging in (which memberships
    does this user have?), resolving an API key, the staff admin, periodic sweeps that
    find which tenants have due work, and management commands."""
    with _db_tenant_set(ALL_TENANTS), scopes_disabled():
        yield

"""Row-level security for tenant-owned tables on PostgreSQL (the second wall).

Each app's migration calls `enable_rls(table)` for its tenant-owned tables. The policy lets
a row through only when the connection's `app.tenant_id` names its tenant (or is "*",
set by `all_tenants()`). FORCE makes the table owner subject too; superusers still bypass,
which is why production connects as the non-owner role created by `setup_db_role`.
"""

from django.db import migrations

POLICY = "tenant_isolation"


def _enable_sql(table: str) -> str:
    return f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS {POLICY} ON {table};
        CREATE POLICY {POLICY} ON {table}
            USING (
                current_setting('app.tenant_id', true) = '*'
                OR tenant_id::text = current_setting('app.tenant_id', true)
            )
            WITH CHECK (
                current_setting('app.tenant_id', true) = '*'
                OR tenant_id::text = current_setting('app.tenant_id', true)
            );
    """


def _disable_sql(table: str) -> str:
    return f"""
        DROP POLICY IF EXISTS {POLICY} ON {table};
        ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY;
        ALTER TABLE {table} DISABLE ROW LEVEL SECURITY;
    """


def enable_rls(*tables: str) -> migrations.RunPython:
    """A migration operation that turns RLS on for `tables` (no-op on SQLite)."""

    def forward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(_enable_sql(table))

    def backward(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for table in tables:
                schema_editor.execute(_disable_sql(table))

    return migrations.RunPython(forward, backward)

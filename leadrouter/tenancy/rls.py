"""Row-level security for tenant-owned tables on PostgreSQL (the second wall).

Each app's migration calls `enable_rls(table)` for its tenant-owned tables. The policy lets
a row through only when the connection's `app.tenant_id` names its tenant (or is "*",
set by `all_tenants()`). FORCE makes the table owner subject too; superusers still bypass,
which is why production connects as the non-owner role created by `setup_db_role`.
"""

from django.db import migrations

POLICY = "tenant_isolation"


# The setting is read in sub-selects, which PostgreSQL evaluates once per statement (an
# InitPlan), and compared as a number; the first form (`tenant_id::text = current_setting(…)`)
# cast and called per row: a scan of 650,000 offers took 310-330 ms under it, 140-147 ms
# under this one (docs/benchmarks.md, Dispatch). An unset or empty setting matches no row.
CONDITION = """
    (SELECT current_setting('app.tenant_id', true)) = '*'
    OR tenant_id = (SELECT NULLIF(NULLIF(current_setting('app.tenant_id', true), '*'), '')
                    ::bigint)
"""
# The first form, for migrating back.
CONDITION_PER_ROW = """
    current_setting('app.tenant_id', true) = '*'
    OR tenant_id::text = current_setting('app.tenant_id', true)
"""


def _enable_sql(table: str, condition: str = CONDITION) -> str:
    return f"""
        ALTER TABLE {table} ENABLE ROW LEVEL SECURITY;
        ALTER TABLE {table} FORCE ROW LEVEL SECURITY;
        DROP POLICY IF EXISTS {POLICY} ON {table};
        CREATE POLICY {POLICY} ON {table}
            USING ({condition})
            WITH CHECK ({condition});
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


def rewrite_policies(condition: str) -> migrations.RunPython:
    """A migration operation that re-creates every existing tenant policy with `condition`
    (no-op on SQLite). Tables given RLS by a later migration get the current form anyway."""

    def rewrite(apps, schema_editor, condition=condition):
        if schema_editor.connection.vendor != "postgresql":
            return
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT tablename FROM pg_policies WHERE policyname = %s"
                           " AND schemaname = current_schema()", [POLICY])
            tables = [row[0] for row in cursor.fetchall()]
        for table in tables:
            schema_editor.execute(_enable_sql(table, condition))

    def back(apps, schema_editor):
        rewrite(apps, schema_editor, CONDITION_PER_ROW if condition == CONDITION else CONDITION)

    return migrations.RunPython(rewrite, back)

"""Create the PostgreSQL role the application connects as in production.

Row-level security does not apply to superusers, and (without FORCE) not to a table's owner.
Migrations run as the owner; the web, worker and beat processes connect as this role, which
owns nothing, cannot bypass RLS, and may only read and write rows.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from psycopg import sql


class Command(BaseCommand):
    help = "Create or update the non-owner PostgreSQL role the application connects as."

    def add_arguments(self, parser):
        parser.add_argument("--role", default="leadrouter_app")
        parser.add_argument("--password", help="set a password (omit for trust/peer auth)")

    def handle(self, *args, role, password, **options):
        if connection.vendor != "postgresql":
            raise CommandError("setup_db_role is for PostgreSQL; SQLite has no roles.")
        ident = sql.Identifier(role)
        database = sql.Identifier(connection.settings_dict["NAME"])
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            verb = "ALTER" if cursor.fetchone() else "CREATE"
            options_sql = sql.SQL("LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE")
            if password:
                options_sql = sql.SQL("{} PASSWORD {}").format(options_sql, sql.Literal(password))
            statements = [
                sql.SQL(verb + " ROLE {} {}").format(ident, options_sql),
                sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(database, ident),
                sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(ident),
                sql.SQL("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public "
                        "TO {}").format(ident),
                sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}")
                .format(ident),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, "
                        "DELETE ON TABLES TO {}").format(ident),
                sql.SQL("ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON "
                        "SEQUENCES TO {}").format(ident),
            ]
            for statement in statements:
                cursor.execute(statement)
        self.stdout.write(self.style.SUCCESS(
            f"Role '{role}' can read and write rows; it owns no table and cannot bypass RLS."
        ))

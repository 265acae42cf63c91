"""Cache keys carry the database's name.

Tenant ids are only unique within one database, and a Redis can serve several: two
deployments (or the parallel test databases of one suite) would otherwise read each other's
partner tables, API keys and routing wake-ups under the same tenant id."""

from django.db import connection


def make_key(key: str, key_prefix: str, version: int) -> str:
    return f"{key_prefix}:{connection.settings_dict['NAME']}:{version}:{key}"

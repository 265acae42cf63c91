"""Two databases behind one Redis never read each other's cached rows for a tenant id."""

from django.core.cache import cache
from django.db import connection


def test_a_cached_value_is_not_seen_from_another_database(monkeypatch):
    cache.set("matching:partner-table:v2:1", "table of this database", 30)
    try:
        monkeypatch.setitem(connection.settings_dict, "NAME", "another_database")
        assert cache.get("matching:partner-table:v2:1") is None
    finally:
        monkeypatch.undo()
        cache.delete("matching:partner-table:v2:1")
    assert cache.get("matching:partner-table:v2:1") is None

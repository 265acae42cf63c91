import statistics

from django.apps import AppConfig
from django.db.backends.signals import connection_created


class _SqliteMedian:
    """MEDIAN(x) for SQLite (PostgreSQL uses percentile_cont; see feedback.aggregates)."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(value)

    def finalize(self):
        return statistics.median(self.values) if self.values else None


def _register_sqlite_median(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("MEDIAN", 1, _SqliteMedian)


class FeedbackConfig(AppConfig):
    name = "feedback"

    def ready(self) -> None:
        connection_created.connect(_register_sqlite_median,
                                   dispatch_uid="feedback-sqlite-median")

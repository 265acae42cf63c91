"""SQL aggregates the dashboard needs beyond Django's own."""

from django.db.models import Aggregate, DurationField, ExpressionWrapper, F, FloatField


class Median(Aggregate):
    """The median: percentile_cont(0.5) on PostgreSQL, a registered MEDIAN() on SQLite
    (feedback.apps)."""

    function = "MEDIAN"
    name = "Median"
    allow_distinct = False

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection,
                           template="percentile_cont(0.5) WITHIN GROUP (ORDER BY "
                                    "%(expressions)s)%(filter)s", **extra_context)


def duration(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def median_duration(later: str, earlier: str, **kwargs) -> Median:
    return Median(duration(later, earlier), output_field=DurationField(), **kwargs)


def median_float(expression, **kwargs) -> Median:
    return Median(expression, output_field=FloatField(), **kwargs)

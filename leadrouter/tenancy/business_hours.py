"""SLA deadlines that count only a tenant's business hours.

A tenant's business hours are one window per working day in its own time zone:

    {"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}   # Monday = 0

`sla_deadline()` is pure (no ORM): it walks day by day through the windows, counting real
elapsed time, so a day on which the clocks change still counts what really passes. Each day's
window is a real interval whose local times all lie in [start, end]: a start the clocks skip
(spring forward) opens after the gap and a start they repeat (fall back) at its second
occurrence; an end the clocks skip closes before the gap and an end they repeat at its first
occurrence. On those two days a window can be up to an hour shorter, never longer.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils.translation import gettext

WEEKDAYS = range(7)

# Fifty years: far beyond any SLA, so running out means the setting cannot hold it.
_MAX_DAYS = 366 * 50


class BusinessHoursError(ValueError):
    """The business-hours setting is malformed."""


def _parse_time(value: str) -> time:
    try:
        parsed = time.fromisoformat(value)
    except (TypeError, ValueError) as exc:
        raise BusinessHoursError(gettext("%(value)s is not a time of day (HH:MM).")
                                 % {"value": repr(value)}) from exc
    return parsed.replace(second=0, microsecond=0, tzinfo=None)


def business_hours_normalize(value: dict) -> dict:
    """A valid, canonical business-hours dict, or BusinessHoursError saying what is wrong."""
    if not isinstance(value, dict):
        raise BusinessHoursError(gettext("Business hours must be a mapping."))
    try:
        weekdays = sorted({int(day) for day in value.get("weekdays", [])})
    except (TypeError, ValueError) as exc:
        raise BusinessHoursError(
            gettext("Weekdays must be numbers 0 (Monday) to 6 (Sunday).")) from exc
    if not weekdays:
        raise BusinessHoursError(gettext("Choose at least one working day."))
    if any(day not in WEEKDAYS for day in weekdays):
        raise BusinessHoursError(gettext("Weekdays must be numbers 0 (Monday) to 6 (Sunday)."))
    start = _parse_time(value.get("start", ""))
    end = _parse_time(value.get("end", ""))
    if end <= start:
        raise BusinessHoursError(gettext("Business hours must end after they start (same day)."))
    return {"weekdays": weekdays, "start": start.strftime("%H:%M"),
            "end": end.strftime("%H:%M")}


@cache
def _zone_names() -> frozenset[str]:
    return frozenset(available_timezones())


def timezone_is_valid(name: str) -> bool:
    """Whether `name` is an IANA time zone this machine knows (e.g. "Europe/Berlin")."""
    if name not in _zone_names():
        return False
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def _readings(day: date, moment: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Both UTC readings of a local time: equal on an ordinary day; two instants an hour
    apart when the clocks fall back (the time happens twice) or spring forward (it does
    not happen: each reading lands on one side of the gap)."""
    local = datetime.combine(day, moment, tzinfo=zone)
    return (local.replace(fold=0).astimezone(UTC), local.replace(fold=1).astimezone(UTC))


def _window(day: date, start: time, end: time, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The day's window in UTC: it opens at the later reading of its start and closes at the
    earlier reading of its end, so every instant inside it shows a local time between start
    and end (see the module docstring)."""
    return max(_readings(day, start, zone)), min(_readings(day, end, zone))


def sla_deadline(start: datetime, hours: float, *, tz: str,
                 business_hours: dict | None) -> datetime:
    """When an SLA of `hours` that starts at `start` runs out (an aware UTC datetime).

    Without business hours: `start` plus `hours` of real time (DST changes do not shorten
    or lengthen it). With business hours: the moment at which `hours` of time inside the
    windows have passed since `start`; time outside them does not count. A deadline that
    ends exactly at a window's end is that end (Friday 17:00 + 1 h at 08–18 → Friday 18:00).

    Example: Friday 17:00 + 24 business hours at Mon–Fri 08:00–18:00 → Wednesday 11:00.
    """
    if start.tzinfo is None or start.utcoffset() is None:
        raise ValueError("start must be an aware datetime")
    if hours < 0:
        raise ValueError("hours must not be negative")
    start_utc = start.astimezone(UTC)
    remaining = timedelta(hours=hours)
    if business_hours is None:
        return start_utc + remaining
    if remaining == timedelta(0):
        return start_utc

    config = business_hours_normalize(business_hours)
    zone = ZoneInfo(tz)
    opens_at, closes_at = _parse_time(config["start"]), _parse_time(config["end"])
    weekdays = set(config["weekdays"])
    day = start_utc.astimezone(zone).date()
    for _ in range(_MAX_DAYS):
        if day.weekday() in weekdays:
            opens, closes = _window(day, opens_at, closes_at, zone)
            begin = max(start_utc, opens)
            available = closes - begin
            if available > timedelta(0):
                if remaining <= available:
                    return begin + remaining
                remaining -= available
        day += timedelta(days=1)
    raise ValueError("SLA too long to place inside the business hours")


def tenant_sla_deadline(tenant, start: datetime, hours: float) -> datetime:
    """`sla_deadline` with the tenant's time zone, counting business hours only when the
    tenant asks for it (`sla_business_hours_only` and business hours configured)."""
    business_hours = tenant.business_hours if tenant.sla_business_hours_only else None
    return sla_deadline(start, hours, tz=tenant.timezone, business_hours=business_hours or None)

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadrouter.tenancy.business_hours import (
    BusinessHoursError,
    business_hours_normalize,
    sla_deadline,
    tenant_sla_deadline,
)

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = {"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=BERLIN)


def test_it_skips_the_weekend():
    friday_evening = berlin(2026, 3, 6, 17, 0)
    deadline = sla_deadline(friday_evening, 24, tz="Europe/Berlin", business_hours=OFFICE)
    assert deadline == berlin(2026, 3, 11, 11, 0)  # Wednesday, not Saturday
    assert deadline.tzinfo == UTC


def test_it_counts_wall_clock_time_without_business_hours():
    friday_evening = berlin(2026, 3, 6, 17, 0)
    deadline = sla_deadline(friday_evening, 24, tz="Europe/Berlin", business_hours=None)
    assert deadline == berlin(2026, 3, 7, 17, 0)


def test_it_counts_real_hours_across_a_clock_change():
    # Clocks go forward on 29 March 2026: 24 real hours end at 18:00 local, not 17:00.
    saturday = berlin(2026, 3, 28, 17, 0)
    deadline = sla_deadline(saturday, 24, tz="Europe/Berlin", business_hours=None)
    assert deadline - saturday == timedelta(hours=24)
    assert deadline.astimezone(BERLIN).hour == 18


def test_it_starts_counting_when_the_office_opens():
    sunday_night = berlin(2026, 3, 8, 23, 0)
    deadline = sla_deadline(sunday_night, 2, tz="Europe/Berlin", business_hours=OFFICE)
    assert deadline == berlin(2026, 3, 9, 10, 0)


def test_it_ends_at_closing_time_when_the_hours_fit_exactly():
    deadline = sla_deadline(berlin(2026, 3, 6, 17, 0), 1, tz="Europe/Berlin",
                            business_hours=OFFICE)
    assert deadline == berlin(2026, 3, 6, 18, 0)


def test_it_refuses_a_naive_start():
    with pytest.raises(ValueError):
        sla_deadline(datetime(2026, 3, 6, 17), 1, tz="Europe/Berlin", business_hours=None)


def test_it_refuses_business_hours_that_end_before_they_start():
    with pytest.raises(BusinessHoursError):
        business_hours_normalize({"weekdays": [0], "start": "18:00", "end": "08:00"})


def test_it_uses_the_tenants_flag_and_time_zone():
    class Tenant:
        timezone = "America/New_York"
        business_hours = {"weekdays": [0, 1, 2, 3, 4], "start": "09:00", "end": "17:00"}
        sla_business_hours_only = True

    friday = datetime(2026, 3, 6, 16, 0, tzinfo=ZoneInfo("America/New_York"))
    assert tenant_sla_deadline(Tenant, friday, 2) == datetime(
        2026, 3, 9, 10, 0, tzinfo=ZoneInfo("America/New_York"))
    Tenant.sla_business_hours_only = False
    assert tenant_sla_deadline(Tenant, friday, 2) == friday + timedelta(hours=2)


# --- properties --------------------------------------------------------------------------
ZONES = ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "America/Santiago",
         "Asia/Kolkata", "UTC", "Pacific/Apia"]


@st.composite
def business_hours(draw):
    weekdays = draw(st.lists(st.integers(0, 6), min_size=1, max_size=7, unique=True))
    start = draw(st.integers(0, 23 * 60 + 29))
    end = draw(st.integers(start + 30, 23 * 60 + 59))
    return {"weekdays": weekdays, "start": f"{start // 60:02d}:{start % 60:02d}",
            "end": f"{end // 60:02d}:{end % 60:02d}"}


starts = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2035, 12, 31),
                      timezones=st.just(UTC))
hours = st.floats(min_value=0.01, max_value=400, allow_nan=False)


def _inside(moment: datetime, tz: str, config: dict) -> bool:
    local = moment.astimezone(ZoneInfo(tz))
    start, end = time.fromisoformat(config["start"]), time.fromisoformat(config["end"])
    return local.weekday() in config["weekdays"] and start <= local.time() <= end


@settings(max_examples=150, deadline=None)
@given(start=starts, hours=hours, tz=st.sampled_from(ZONES), config=business_hours())
def test_it_never_ends_before_it_starts(start, hours, tz, config):
    assert sla_deadline(start, hours, tz=tz, business_hours=config) >= start
    assert sla_deadline(start, hours, tz=tz, business_hours=None) >= start


# Berlin, 2032: on Sunday 31 Oct 02:00–02:59 happens twice (found by the property below), on
# Sunday 28 Mar it does not happen at all.
@pytest.mark.parametrize("night, start, end", [
    ("2032-10-30", "00:00", "02:00"), ("2032-10-30", "01:00", "02:30"),
    ("2032-10-30", "02:30", "04:00"), ("2032-10-30", "02:00", "02:45"),
    ("2032-03-27", "01:00", "02:30"), ("2032-03-27", "02:30", "04:00")])
def test_a_window_on_a_night_the_clocks_change_holds_only_its_local_times(night, start, end):
    config = {"weekdays": [6], "start": start, "end": end}
    evening = datetime.fromisoformat(f"{night}T20:00:00+00:00")
    for minutes in range(1, 240, 7):
        deadline = sla_deadline(evening, minutes / 60, tz="Europe/Berlin", business_hours=config)
        assert _inside(deadline, "Europe/Berlin", config), (minutes, deadline)


@settings(max_examples=150, deadline=None)
@given(start=starts, hours=hours, tz=st.sampled_from(ZONES), config=business_hours())
def test_it_ends_inside_business_hours(start, hours, tz, config):
    assert _inside(sla_deadline(start, hours, tz=tz, business_hours=config), tz, config)


@settings(max_examples=150, deadline=None)
@given(start=starts, first=hours, second=hours, tz=st.sampled_from(ZONES),
       config=st.one_of(st.none(), business_hours()))
def test_it_grows_with_the_hours(start, first, second, tz, config):
    shorter, longer = sorted([first, second])
    assert (sla_deadline(start, shorter, tz=tz, business_hours=config)
            <= sla_deadline(start, longer, tz=tz, business_hours=config))


@settings(max_examples=100, deadline=None)
@given(start=starts, hours=hours, tz=st.sampled_from(ZONES), config=business_hours())
def test_it_counts_no_more_time_than_the_business_hours_allow(start, hours, tz, config):
    # Never faster than the wall clock: business time is a subset of real time.
    deadline = sla_deadline(start, hours, tz=tz, business_hours=config)
    assert deadline - start >= timedelta(hours=hours) - timedelta(microseconds=1)

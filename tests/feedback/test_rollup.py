"""The dashboard's rollup (feedback.rollup): what the raw events say, per tenant-local day,
whatever arrives late; a run that dies leaves nothing half-done; nobody else's rows."""

from collections import Counter, defaultdict
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from feedback import rollup
from feedback.events import event_record
from feedback.models import OutcomeEvent, OutcomeRollup, RollupState
from feedback.rollup import COUNTS, block_start, blocks_covering, rollup_advance
from feedback.tasks import rollup_sweep_task
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import lead_create

NEW_YORK = ZoneInfo("America/New_York")


def record(tenant, partner, kind, when, *, lead=None, value=None):
    lead = lead or lead_create(tenant)
    with tenant_scope(tenant):
        event_record(lead=lead, kind=kind, partner=partner, occurred_at=when,
                     reason="price" if kind == "lost" else "",
                     value=Decimal(value) if value else None)
    return lead


def local_noon(days_back: int) -> datetime:
    today = timezone.localdate(timezone=NEW_YORK)
    return datetime.combine(today - timedelta(days=days_back), time(12), NEW_YORK)


@pytest.fixture
def new_york(tenant_a):
    tenant_a.timezone = "America/New_York"
    tenant_a.save()
    return tenant_a


@pytest.fixture
def a_year(new_york, partner_a1, partner_a2):
    """Two partners' leads every 9 days for 400 days (offers, accepts or rejects, wins and
    losses, expiries, a return without a partner), and an offer at 23:30 New York time
    won at 00:30 the next day. Recorded two hours ago, so a rollup run now holds them."""
    for i, days_back in enumerate(range(1, 400, 9)):
        when, partner = local_noon(days_back), partner_a1 if i % 3 else partner_a2
        lead = record(new_york, partner, "offered", when)
        record(new_york, partner, "accepted" if i % 4 else "rejected",
               when + timedelta(hours=1), lead=lead)
        if i % 4:
            record(new_york, partner, "won" if i % 2 else "lost", when + timedelta(hours=5),
                   lead=lead, value="1500" if i % 2 else None)
        if i % 5 == 0:
            record(new_york, partner, "expired", when + timedelta(hours=2))
        if i % 7 == 0:
            record(new_york, None, "returned", when + timedelta(hours=3))
    record(new_york, partner_a2, "contacted", local_noon(40))
    eve = local_noon(3).replace(hour=23, minute=30)
    lead = record(new_york, partner_a1, "offered", eve)
    record(new_york, partner_a1, "won", eve + timedelta(hours=1), lead=lead, value="700")
    with tenant_scope(new_york):
        OutcomeEvent.objects.update(recorded_at=F("recorded_at") - timedelta(hours=2))
    return eve


def advance(tenant, now=None):
    with tenant_scope(tenant):
        return rollup_advance(tenant_id=tenant.pk, now=now)


def raw_counts_by_day(through: date) -> dict:
    """What a level-0 row must hold, counted in Python from the events."""
    expected = defaultdict(Counter)
    for occurred_at, partner_id, kind, value in OutcomeEvent.objects.values_list(
            "occurred_at", "partner_id", "kind", "value"):
        day = timezone.localdate(occurred_at, NEW_YORK)
        if day > through:
            continue
        row = expected[(day, partner_id)]
        row[kind if kind in rollup.KINDS else "other"] += 1
        if kind == "won":
            row["revenue"] += value or 0
    return expected


def test_it_holds_what_the_raw_events_say_per_tenant_day(a_year, new_york, partner_a1):
    result = advance(new_york)
    with tenant_scope(new_york):
        expected = raw_counts_by_day(result["through_day"])
        days = {(r.day, r.partner_id): {f: getattr(r, f) for f in COUNTS if getattr(r, f)}
                for r in OutcomeRollup.objects.filter(level=0)}
        assert days == {key: dict(+row) for key, row in expected.items()}
        # The evening offer and the win after midnight are two New York days.
        eve = a_year.date()
        assert days[(eve, partner_a1.pk)] == {"offered": 1}
        assert days[(eve + timedelta(days=1), partner_a1.pk)] == {"won": 1,
                                                                  "revenue": Decimal("700")}
        # Every block above is the sum of the days in it.
        for block in OutcomeRollup.objects.filter(level__gt=0):
            inside = [row for (day, partner), row in expected.items()
                      if partner == block.partner_id
                      and block_start(day, block.level) == block.day]
            assert {f: getattr(block, f) for f in COUNTS} == {
                f: sum(row[f] for row in inside) for f in COUNTS}


EXPORTS = [("feedback:overview", {"export": "kpis"}), ("feedback:overview", {"export": "funnel"}),
           ("feedback:overview", {"export": "pareto"}), ("feedback:overview", {"export": "sla"}),
           ("feedback:leaderboard", {"export": "leaderboard", "sort": "name"})]


def exports(client, end: date | None = None) -> dict:
    pages = {}
    for name, params in EXPORTS:
        for days in (7, 30, 90, 365):
            query = {**params, "days": days, **({"end": end.isoformat()} if end else {})}
            response = client.get(reverse(name), query)
            assert response.status_code == 200
            pages[(name, params["export"], days)] = response.content.decode()
    return pages


def without_rollup(client, tenant, end=None) -> dict:
    with tenant_scope(tenant):
        RollupState.objects.all().delete()
    return exports(client, end)


@pytest.mark.parametrize("end_days_back", [None, 3, 200])
def test_it_shows_the_same_numbers_with_and_without_the_rollup(client_a, a_year, new_york,
                                                               end_days_back):
    end = None if end_days_back is None else local_noon(end_days_back).date()
    assert advance(new_york)["days"] > 40
    with_rollup = exports(client_a, end)
    assert with_rollup == without_rollup(client_a, new_york, end)
    assert "Alpha Systemhaus" in with_rollup[("feedback:leaderboard", "leaderboard", 365)]


def test_it_counts_a_late_event_once(client_a, a_year, new_york, partner_a1):
    advance(new_york)
    before = exports(client_a)
    # A CRM reports today a win of 12 days ago: past the watermark, read raw.
    record(new_york, partner_a1, "won", local_noon(12), value="999")
    late = exports(client_a)
    assert late != before
    kpis = late[("feedback:overview", "kpis", 30)].splitlines()
    old = before[("feedback:overview", "kpis", 30)].splitlines()
    won = next(line for line in kpis if line.startswith("won,")).split(",")[1]
    assert int(won) == int(next(line for line in old if line.startswith("won,")).split(",")[1]) + 1
    # Later, a run folds it into its day: nothing moves.
    result = advance(new_york, now=timezone.now() + rollup.SETTLE + timedelta(minutes=1))
    assert result["days"] == 1
    assert exports(client_a) == late
    assert without_rollup(client_a, new_york) == late


def test_it_counts_by_the_tenants_days(client_a, a_year, new_york):
    """The 23:30 offer and the 00:30 win are one day in Berlin, two in New York."""
    eve = a_year.date()
    advance(new_york)
    for end, won in ((eve, "0"), (eve + timedelta(days=1), "1")):
        response = client_a.get(reverse("feedback:overview"),
                                {"days": 7, "end": end.isoformat(), "export": "kpis"})
        rows = {line.split(",")[0]: line.split(",")[1:]
                for line in response.content.decode().splitlines()[1:]}
        assert rows["offered"][0] == "1" and rows["won"][0] == won


def test_it_leaves_rows_and_state_untouched_when_a_run_dies(a_year, new_york, monkeypatch):
    advance(new_york)
    with tenant_scope(new_york):
        state = RollupState.objects.get()
        rows = list(OutcomeRollup.objects.order_by("level", "day", "partner_id")
                    .values_list("level", "day", "partner_id", "won"))
    record(new_york, None, "returned", local_noon(5))

    def die(level, starts, tenant_id):
        if level == 5:
            raise RuntimeError("worker lost")
        return real(level, starts, tenant_id)

    real = rollup._rebuild_level
    monkeypatch.setattr(rollup, "_rebuild_level", die)
    with pytest.raises(RuntimeError):
        advance(new_york, now=timezone.now() + timedelta(hours=2))
    with tenant_scope(new_york):
        assert RollupState.objects.get().settled_before == state.settled_before
        assert list(OutcomeRollup.objects.order_by("level", "day", "partner_id")
                    .values_list("level", "day", "partner_id", "won")) == rows


def test_it_shows_a_stranger_tenant_nothing(client_b, tenant_b, a_year, new_york):
    advance(new_york)
    assert advance(tenant_b)["days"] == 0
    with tenant_scope(tenant_b):
        assert OutcomeRollup.objects.count() == 0
    for page in exports(client_b).values():
        assert "Alpha Systemhaus" not in page and "Beta Technik" not in page
        assert "1500" not in page


def test_it_rebuilds_from_the_command_and_sweeps_every_tenant(a_year, new_york, tenant_b,
                                                              capsys):
    call_command("rollup_rebuild", tenant="acme")
    assert "acme: " in capsys.readouterr().out
    with tenant_scope(new_york):
        built = OutcomeRollup.objects.count()
        assert built > 0
    assert rollup_sweep_task() == 2
    with tenant_scope(new_york):
        assert OutcomeRollup.objects.count() == built


@pytest.mark.parametrize("first,length", [(date(2026, 1, 1), 1), (date(2025, 11, 28), 365),
                                          (date(2024, 2, 29), 730), (date(2026, 3, 7), 90)])
def test_it_covers_any_days_with_few_aligned_blocks(first, length):
    last = first + timedelta(days=length - 1)
    blocks = blocks_covering(first, last)
    day = first
    for level, start in blocks:
        assert start == day and block_start(start, level) == start
        day += timedelta(days=1 << level)
    assert day == last + timedelta(days=1)
    assert max(Counter(level for level, _ in blocks).values()) <= 2

"""The manager dashboard: numbers against a hand-computed fixture, CSV, access, queries."""

import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from feedback import selectors
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from tests.factories import lead_create

PAGES = ["feedback:overview", "feedback:leaderboard", "feedback:romi", "feedback:tiers"]


@pytest.fixture
def small_channel(tenant_a, partner_a1, partner_a2, make_history):
    """Partner A1: 3 offers, 2 accepted (1 h each), 1 won 1,000 (closed 1 h after accept),
    1 lost; 1 rejected. Partner A2: 2 offers, 1 expired, 1 accepted + won 3,000.
    Plus one unrouted lead. All inside the last 30 days."""
    start = timezone.now() - timedelta(days=5)
    a1 = make_history(tenant_a, partner_a1, ["offered accepted won", "offered accepted lost",
                                             "offered rejected"], start=start)
    a2 = make_history(tenant_a, partner_a2, ["offered expired"], start=start)
    a2 += make_history(tenant_a, partner_a2, ["offered accepted won"], start=start,
                       value="3000")
    with tenant_scope(tenant_a):
        for lead, status, source, cost in ((a1[0], "won", "web", "100"),
                                           (a1[1], "lost", "web", "100"),
                                           (a2[1], "won", "fair", "500")):
            Lead.objects.filter(pk=lead.pk).update(status=status, source=source,
                                                   campaign="spring", cost=Decimal(cost),
                                                   routed_at=start)
        Lead.objects.filter(pk__in=[a1[2].pk, a2[0].pk]).update(routed_at=start,
                                                               status="offered")
        Lead.objects.filter(pk=a2[1].pk).update(deal_value=Decimal("3000"))
        Lead.objects.filter(pk=a1[0].pk).update(deal_value=Decimal("1000"))
    lead_create(tenant_a, status="unrouted", routed_at=start)
    return a1, a2


def test_it_shows_the_hand_computed_overview(client_a, small_channel):
    response = client_a.get(reverse("feedback:overview"), {"days": 30, "export": "kpis"})
    rows = {line.split(",")[0]: line.split(",")[1:]
            for line in response.content.decode().strip().splitlines()[1:]}
    assert rows["received"][0] == "6"
    assert float(rows["routed_pct"][0]) == pytest.approx(5 / 6)
    assert rows["offered"][0] == "5" and rows["accepted"][0] == "3"
    assert rows["won"][0] == "2" and Decimal(rows["revenue"][0]) == Decimal("4000")
    assert float(rows["time_to_accept"][0]) == 3600.0
    assert float(rows["time_to_close"][0]) == 3600.0
    assert rows["expired"][0] == "1" and rows["unrouted"][0] == "1"
    assert rows["received"][1] == "0"  # previous period


def test_it_renders_the_overview_page(client_a, small_channel):
    response = client_a.get(reverse("feedback:overview"))
    assert response.status_code == 200
    assert "<svg" in response.text and "Beta Technik" in response.text
    # Top 20 % of 2 partners is 1 partner: Beta Technik with 3,000 of 4,000.
    assert "75 %" in response.text


def test_it_exports_the_pareto(client_a, small_channel, partner_a2):
    response = client_a.get(reverse("feedback:overview"), {"export": "pareto"})
    lines = response.content.decode().strip().splitlines()
    assert lines[1].startswith(f"{partner_a2.pk},Beta Technik,3000")
    assert lines[1].endswith(",0.75,0.75")


def test_it_sorts_the_leaderboard(client_a, small_channel):
    response = client_a.get(reverse("feedback:leaderboard"), {"sort": "-accept_rate"})
    assert response.status_code == 200
    text = response.text
    assert text.index("Alpha Systemhaus") < text.index("Beta Technik")  # 2/3 vs 1/2
    response = client_a.get(reverse("feedback:leaderboard"), {"sort": "-revenue"})
    assert response.text.index("Beta Technik") < response.text.index("Alpha Systemhaus")


def test_it_exports_the_leaderboard(client_a, small_channel, partner_a1):
    response = client_a.get(reverse("feedback:leaderboard"),
                            {"sort": "name", "export": "leaderboard"})
    first = response.content.decode().splitlines()[1].split(",")
    assert first[:2] == [str(partner_a1.pk), "Alpha Systemhaus"]
    assert first[3:6] == ["3", "2", str(2 / 3)]
    assert first[8:11] == ["1", "2", "0.5"]


def test_it_computes_romi(client_a, small_channel):
    response = client_a.get(reverse("feedback:romi"), {"export": "romi"})
    rows = {tuple(line.split(",")[:2]): line.split(",")[2:]
            for line in response.content.decode().strip().splitlines()[1:]}
    rows = {k: [str(int(Decimal(v))) if i in (1, 3) else v for i, v in enumerate(r)]
            for k, r in rows.items()}
    assert rows[("fair", "spring")][:4] == ["1", "500", "1", "3000"]
    assert float(rows[("fair", "spring")][4]) == 5.0
    assert rows[("web", "spring")][:4] == ["2", "200", "1", "1000"]
    assert float(rows[("web", "spring")][4]) == 4.0


def test_it_shows_a_partner_against_the_average(client_a, small_channel, partner_a1):
    response = client_a.get(reverse("feedback:partner", args=[partner_a1.pk]))
    assert response.status_code == 200
    assert "C:medium" in response.text
    response = client_a.get(reverse("feedback:partner", args=[partner_a1.pk]),
                            {"export": "reasons"})
    assert "window,reject,no_capacity,1" in response.content.decode()


@pytest.mark.parametrize("name", PAGES)
def test_it_shows_a_stranger_tenant_only_its_own_numbers(client_b, small_channel, name):
    response = client_b.get(reverse(name))
    assert response.status_code == 200
    assert "Alpha Systemhaus" not in response.text and "Beta Technik" not in response.text


def test_it_hides_another_tenants_partner(client_b, small_channel, partner_a1):
    assert client_b.get(reverse("feedback:partner", args=[partner_a1.pk])).status_code == 404


@pytest.mark.parametrize("name", PAGES)
def test_it_hides_manager_pages_from_a_partner_user(partner_client_a1, name):
    assert partner_client_a1.get(reverse(name)).status_code == 404


def test_it_hides_partner_detail_from_a_partner_user(partner_client_a1, partner_a1):
    response = partner_client_a1.get(reverse("feedback:partner", args=[partner_a1.pk]))
    assert response.status_code == 404


# overview and leaderboard: + 1 for the rollup's coverage (feedback.rollup_reads), read once
# per page; the rollup and the raw events then share one statement per table. The overview
# is counted for a period nobody asked for yet (its figures are cached for the next one).
@pytest.mark.parametrize("name,queries", [
    ("feedback:overview", 13), ("feedback:leaderboard", 7), ("feedback:romi", 4),
    ("feedback:tiers", 8)])
def test_it_pins_the_query_count(client_a, small_channel, django_assert_num_queries,
                                 name, queries):
    client_a.get(reverse(name), {"days": 7})  # warm: session, settings row
    # + the tenant scope's set_config on PostgreSQL (row-level security)
    with django_assert_num_queries(queries + (4 if connection.vendor == "postgresql" else 0)):
        assert client_a.get(reverse(name), {"days": 30}).status_code == 200


def test_it_serves_the_overview_again_from_its_cached_figures(
        client_a, small_channel, django_assert_num_queries):
    client_a.get(reverse("feedback:overview"))
    # session, user, membership: nothing of the figures
    with django_assert_num_queries(3 + (4 if connection.vendor == "postgresql" else 0)):
        assert client_a.get(reverse("feedback:overview")).status_code == 200


def test_it_shows_figures_at_most_a_few_seconds_old_and_exports_fresh_ones(
        client_a, small_channel, tenant_a, partner_a1, make_history, monkeypatch):
    monkeypatch.setattr(selectors, "OVERVIEW_CACHE_SECONDS", 1)

    def won(page: str) -> str:
        return page.split('kpi-label">Won</span>')[1].split('kpi-value">')[1].split("<")[0]

    first = client_a.get(reverse("feedback:overview")).text
    assert "Figures as of" in first and "refreshed every 1 seconds" in first
    assert won(first) == "2"
    make_history(tenant_a, partner_a1, ["offered accepted won"],
                 start=timezone.now() - timedelta(hours=5))

    assert won(client_a.get(reverse("feedback:overview")).text) == "2"
    kpis = client_a.get(reverse("feedback:overview"), {"export": "kpis"}).text
    assert "\nwon,3," in kpis
    time.sleep(1.1)
    assert won(client_a.get(reverse("feedback:overview")).text) == "3"


def test_it_pins_the_partner_page_query_count(client_a, small_channel, partner_a1,
                                              django_assert_num_queries):
    url = reverse("feedback:partner", args=[partner_a1.pk])
    client_a.get(url)
    with django_assert_num_queries(13 + (4 if connection.vendor == "postgresql" else 0)):
        assert client_a.get(url).status_code == 200


def test_it_renders_only_the_table_for_htmx(client_a, small_channel):
    response = client_a.get(reverse("feedback:leaderboard"), {"sort": "won"},
                            HTTP_HX_REQUEST="true")
    assert response.text.lstrip().startswith('<div id="leaderboard-table"')

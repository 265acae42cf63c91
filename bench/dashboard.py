"""Dashboard latency at 100,000 leads and 1,000 partners (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres leadrouter_bench_feedback   # once
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadrouter_bench_feedback DEBUG=1 \\
        .venv/bin/python bench/dashboard.py [--leads 100000] [--partners 1000] [--no-write]

Migrates that database, seeds one tenant ("bench-feedback", replaced on each run) with a
year of leads, offers and outcome events drawn from partner-specific hidden rates (a few
high performers, a long tail), rebuilds statistics and tiers and the dashboard's rollup
(`rollup_rebuild`: every day up to yesterday; today's events stay raw, as in production),
then requests every dashboard page as a manager (warm-up + 7 timed runs) and writes
docs/benchmarks-feedback.md. `--reuse` keeps the seeded tenant; `--no-rollup` times the
pages from the raw events alone (the rollup state is removed).
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import random
import statistics
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadrouter.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

from feedback.models import OutcomeEvent, OutcomeRollup, RollupState  # noqa: E402
from feedback.rollup import rollup_rebuild  # noqa: E402
from feedback.services import feedback_recompute  # noqa: E402
from leadrouter.tenancy.models import Role, Tenant  # noqa: E402
from leadrouter.tenancy.scoping import all_tenants, tenant_scope  # noqa: E402
from leadrouter.tenancy.services import user_create_in_tenant  # noqa: E402
from leads.models import Lead  # noqa: E402
from matching.models import Offer  # noqa: E402
from partners.models import Partner  # noqa: E402

SLUG = "bench-feedback"
INDUSTRIES = ["C10", "C20", "C25", "C28", "C28.1", "C29", "F41", "G46", "J62", "M71"]
SOURCES = [("web", "spring"), ("web", "autumn"), ("fair", "hannover"), ("partner", ""),
           ("ads", "search"), ("ads", "social")]
LOSS = ["price", "competitor", "no_budget", "unreachable", "not_a_fit", "timing", "other"]
REJECT = ["no_capacity", "outside_territory", "outside_competence", "too_small", "other"]


def seed(n_leads: int, n_partners: int, rng: random.Random) -> Tenant:
    with all_tenants():
        Tenant.objects.filter(slug=SLUG).delete()
        tenant = Tenant.objects.create(slug=SLUG, name="Bench Feedback")
    now = timezone.now()
    with tenant_scope(tenant):
        user_create_in_tenant(tenant=tenant, email="bench@feedback.example",
                              role=Role.MANAGER, password="bench-password-123")
        partners = Partner.objects.bulk_create([
            Partner(tenant=tenant, external_id=f"B-{i:05d}", name=f"Partner {i:04d}",
                    country="DE", employees=rng.randint(1, 500), capacity=rng.randint(3, 40))
            for i in range(n_partners)])
        # Hidden rates: 5 % stars, 25 % moderate, the rest a long tail.
        traits = {}
        for p in partners:
            r = rng.random()
            win = 0.35 if r < 0.05 else (0.15 if r < 0.30 else 0.04)
            traits[p.pk] = (rng.uniform(0.4, 0.95), win, rng.uniform(0.5, 30))
        cum_weights = list(itertools.accumulate(5 if traits[p.pk][1] > 0.3 else 1
                                                for p in partners))
        leads, plans = [], []
        for i in range(n_leads):
            received = now - timedelta(days=rng.uniform(0, 365))
            source, campaign = rng.choice(SOURCES)
            leads.append(Lead(tenant=tenant, company_name=f"Kunde {i}",
                              industry=rng.choice(INDUSTRIES),
                              employees=int(rng.lognormvariate(3, 1.5)) + 1, country="DE",
                              postal_code=f"{rng.randint(10000, 99999)}",
                              deal_value=Decimal(rng.randint(2, 200) * 500), source=source,
                              campaign=campaign, cost=Decimal(rng.randint(20, 300)),
                              received_at=received, status="new"))
        Lead.objects.bulk_create(leads, batch_size=5000)
        offers, events = [], []
        for lead in leads:
            if rng.random() < 0.05:
                lead.status = "unrouted"
                lead.routed_at = lead.received_at
                continue
            lead.routed_at = lead.received_at + timedelta(minutes=1)
            t = lead.routed_at
            for _attempt in range(3):
                partner = rng.choices(partners, cum_weights=cum_weights)[0]
                accept_p, win_p, close_days = traits[partner.pk]
                offer = Offer(tenant=tenant, lead=lead, partner=partner, offered_at=t,
                              expires_at=t + timedelta(hours=24))
                offers.append(offer)
                r = rng.random()
                if r < accept_p:
                    offer.status, offer.responded_at = "accepted", t + timedelta(
                        hours=rng.uniform(0.1, 20))
                    plans.append((lead, offer, "accepted"))
                    break
                if r < accept_p + (1 - accept_p) / 2:
                    offer.status, offer.responded_at = "rejected", t + timedelta(
                        hours=rng.uniform(0.1, 20))
                    offer.reject_reason = rng.choice(REJECT)
                else:
                    offer.status, offer.responded_at = "expired", t + timedelta(hours=24)
                plans.append((lead, offer, offer.status))
                t = offer.responded_at
            else:
                lead.status = "unrouted"
        Offer.objects.bulk_create(offers, batch_size=5000)
        for lead, offer, kind in plans:
            events.append(OutcomeEvent(tenant=tenant, lead=lead, partner_id=offer.partner_id,
                                       offer=offer, kind="offered", occurred_at=offer.offered_at))
            # `seconds` as event_record writes it: offer made → accepted, accepted → closed.
            events.append(OutcomeEvent(tenant=tenant, lead=lead, partner_id=offer.partner_id,
                                       offer=offer, kind=kind, occurred_at=offer.responded_at,
                                       reason=offer.reject_reason,
                                       seconds=_seconds(offer.responded_at, offer.offered_at)
                                       if kind == "accepted" else None))
            if kind != "accepted":
                continue
            lead.status, lead.assigned_partner_id = "in_progress", offer.partner_id
            lead.accepted_at = offer.responded_at
            _, win_p, close_days = traits[offer.partner_id]
            closed = offer.responded_at + timedelta(days=rng.expovariate(1 / close_days))
            if closed > now or rng.random() < 0.1:
                continue
            won = rng.random() < win_p * 2.5
            lead.status, lead.closed_at = ("won" if won else "lost"), closed
            events.append(OutcomeEvent(tenant=tenant, lead=lead, partner_id=offer.partner_id,
                                       offer=offer, kind="won" if won else "lost",
                                       occurred_at=closed,
                                       seconds=_seconds(closed, offer.responded_at),
                                       value=lead.deal_value if won else None,
                                       reason="" if won else rng.choice(LOSS)))
        Lead.objects.bulk_update(leads, ["status", "routed_at", "accepted_at", "closed_at",
                                         "assigned_partner"], batch_size=5000)
        for event in events:  # recorded as they happened, as in production
            event.recorded_at = event.occurred_at
        OutcomeEvent.objects.bulk_create(events, batch_size=5000)
    return tenant


def _seconds(later, earlier) -> int:
    return max(int((later - earlier).total_seconds()), 0)


def time_pages(tenant: Tenant, runs: int = 7) -> list[dict]:
    client = Client()
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(email="bench@feedback.example"))
    with tenant_scope(tenant):
        top = Partner.objects.order_by("pk").values_list("pk", flat=True).first()
    pages = [("overview (30 days)", reverse("feedback:overview") + "?days=30"),
             ("overview (365 days)", reverse("feedback:overview") + "?days=365"),
             ("leaderboard (90 days, by revenue)", reverse("feedback:leaderboard") + "?days=90"),
             ("leaderboard (365 days, by accept rate)",
              reverse("feedback:leaderboard") + "?days=365&sort=-accept_rate"),
             ("partner detail", reverse("feedback:partner", args=[top])),
             ("ROMI (365 days)", reverse("feedback:romi") + "?days=365"),
             ("tiers and rules", reverse("feedback:tiers")),
             ("leaderboard CSV (365 days, all partners)",
              reverse("feedback:leaderboard") + "?days=365&export=leaderboard")]
    results = []
    for label, url in pages:
        assert client.get(url).status_code == 200, url
        times = []
        for _ in range(runs):
            reset_queries()
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results.append({"page": label, "median": statistics.median(times),
                        "max": max(times), "queries": len(queries)})
        print(f"{label:45s} median {results[-1]['median']:7.1f} ms  max "
              f"{results[-1]['max']:7.1f} ms  {len(queries)} queries")
    return results


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--partners", type=int, default=1_000)
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the tenant seeded by an earlier run (time the pages only)")
    parser.add_argument("--no-rollup", action="store_true",
                        help="time the pages from the raw events alone")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run this against PostgreSQL (DATABASE_URL=postgres://…).")
    call_command("migrate", verbosity=0)
    rng = random.Random(42)
    t0 = time.perf_counter()
    with all_tenants():
        tenant = Tenant.objects.filter(slug=SLUG).first() if args.reuse else None
    reused = tenant is not None
    tenant = tenant or seed(args.leads, args.partners, rng)
    seeded = time.perf_counter() - t0
    with tenant_scope(tenant):
        events = OutcomeEvent.objects.count()
        t0 = time.perf_counter()
        result = feedback_recompute(tenant_id=tenant.pk)
        recompute = time.perf_counter() - t0
        t0 = time.perf_counter()
        rollup = rollup_rebuild(tenant_id=tenant.pk)
        rolled = time.perf_counter() - t0
        blocks = OutcomeRollup.objects.count()
        if args.no_rollup:
            RollupState.objects.all().delete()
    with connection.cursor() as cursor:
        # As autovacuum would have by now: index-only scans need the visibility map.
        cursor.execute("VACUUM ANALYZE")
    print(f"seeded {args.leads} leads, {args.partners} partners, {events} events in "
          f"{seeded:.0f} s; recompute_stats {recompute:.1f} s ({result}); rollup_rebuild "
          f"{rolled:.1f} s ({rollup['days']} days, {blocks} rows)"
          f"{'; rollup removed' if args.no_rollup else ''}")
    load_before = os.getloadavg()[0]
    results = time_pages(tenant)
    load = max(load_before, os.getloadavg()[0])
    if args.no_write:
        return
    lines = [
        "# Benchmarks: feedback dashboard", "",
        f"`bench/dashboard.py` on {platform.node() or 'this machine'} "
        f"({platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"PostgreSQL), {timezone.localdate().isoformat()}.", "",
        f"Data: {args.leads:,} leads over a year, {args.partners:,} partners, "
        f"{events:,} outcome events. "
        + ("Seeded by an earlier run (--reuse)" if reused else f"Seeding took {seeded:.0f} s")
        + "; the full recompute "
        f"(statistics, tiers, rules) {recompute:.1f} s; `rollup_rebuild` {rolled:.1f} s "
        f"({rollup['days']} days, {blocks:,} rollup rows)"
        f"{' — then removed: pages read the raw events only' if args.no_rollup else ''}.",
        "",
        f"Load average while measuring: up to {load:.1f} on {os.cpu_count()} CPUs"
        + (" (the machine was shared with other engineers' test runs)." if load >= 1.5
           else " (otherwise idle)."), "",
        "Each page: one warm-up request, then 7 timed requests through the Django test "
        "client (middleware, session, template rendering included; no network).", "",
        "| page | median ms | max ms | queries |", "|---|---:|---:|---:|",
        *[f"| {r['page']} | {r['median']:.0f} | {r['max']:.0f} | {r['queries']} |"
          for r in results], "",
        "Target: ≤ 300 ms per dashboard page. Re-run: see the docstring of the script.", "",
    ]
    (ROOT / "docs" / "benchmarks-feedback.md").write_text("\n".join(lines))
    print("wrote docs/benchmarks-feedback.md")


if __name__ == "__main__":
    main()

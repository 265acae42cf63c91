"""Dispatch benchmark on PostgreSQL: routing + offers per second in one process (what one
worker process does per task, without the broker), the expiry sweep's throughput, and the
end-to-end time from a routing task's enqueue to the offer row with a real worker on Redis.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/dispatch.py [--partners 1000]

Every run creates its own tenant (slug `dispatch-<time>`).
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadrouter.settings")
os.environ.setdefault("DEBUG", "1")

CITIES = [("80", "80331", "München"), ("10", "10115", "Berlin"), ("20", "20095", "Hamburg"),
          ("50", "50667", "Köln"), ("70", "70173", "Stuttgart"), ("60", "60311", "Frankfurt")]


def setup(partners: int):
    import django

    django.setup()
    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from partners.models import Partner, PartnerTerritory

    tenant = Tenant.objects.create(slug=f"dispatch-{int(time.time())}", name="Dispatch bench")
    rng = random.Random(7)
    with tenant_scope(tenant):
        rows = []
        for i in range(partners):
            prefix, code, city = CITIES[i % len(CITIES)]
            rows.append(Partner(tenant=tenant, external_id=f"B{i}", name=f"Partner {i}",
                                country="DE", postal_code=code, city=city,
                                capacity=rng.randint(50, 500), deal_value_min=0,
                                deal_value_max=10_000_000, employees=rng.randint(1, 500)))
        created = Partner.objects.bulk_create(rows)
        PartnerTerritory.objects.bulk_create([
            PartnerTerritory(tenant=tenant, partner=p, country="DE",
                             postal_prefixes=[CITIES[i % len(CITIES)][0]])
            for i, p in enumerate(created)])
    return tenant


def make_leads(tenant, n: int) -> list[int]:
    from leadrouter.tenancy.scoping import tenant_scope
    from leads.models import Lead

    with tenant_scope(tenant):
        leads = Lead.objects.bulk_create([
            Lead(tenant=tenant, company_name=f"Kunde {i}", country="DE",
                 postal_code=CITIES[i % len(CITIES)][1], city=CITIES[i % len(CITIES)][2],
                 deal_value=10000 + i, employees=20) for i in range(n)])
    return [lead.pk for lead in leads]


def bench_in_process(tenant, n: int) -> float:
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.dispatch import lead_route_and_dispatch

    lead_ids = make_leads(tenant, n)
    with tenant_scope(tenant):
        lead_route_and_dispatch(lead_id=lead_ids[0])  # warm the partner-table cache
        start = time.perf_counter()
        for lead_id in lead_ids[1:]:
            lead_route_and_dispatch(lead_id=lead_id)
        elapsed = time.perf_counter() - start
    return (n - 1) / elapsed


def bench_sweep(tenant, n: int) -> float:
    from django.utils import timezone

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer
    from matching.offers import offers_expire_due

    with tenant_scope(tenant):
        due = timezone.now() - timezone.timedelta(minutes=1)
        Offer.objects.filter(status="pending").update(expires_at=due)
        count = Offer.objects.filter(status="pending").count()
        start = time.perf_counter()
        expired = offers_expire_due(batch_size=1000)
        elapsed = time.perf_counter() - start
    assert expired >= count
    return expired / elapsed


def bench_end_to_end(tenant, n: int) -> tuple[float, float, float]:
    """Enqueue one routing task per lead through Redis, one worker process; returns p50 and
    p99 of enqueue → offer row, and the drained leads/s."""
    from celery import Celery
    from django.db import connection

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer

    redis_url = os.environ["REDIS_URL"]
    queue = f"bench-{int(time.time())}"
    settings = connection.settings_dict
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": redis_url,
           "DATABASE_URL": f"postgres://{settings['USER'] or 'postgres'}@"
                           f"{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
                           f"{settings['NAME']}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadrouter", "worker", "-Q", queue,
         "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"],
        cwd=ROOT, env=env)
    try:
        time.sleep(4)
        lead_ids = make_leads(tenant, n)
        sender = Celery(broker=redis_url)
        sent_at = {}
        start = time.perf_counter()
        for lead_id in lead_ids:
            sent_at[lead_id] = time.time()
            sender.send_task("matching.route_lead", args=[tenant.pk, lead_id], queue=queue)
        with tenant_scope(tenant):
            while Offer.objects.filter(lead_id__in=lead_ids).values("lead_id").distinct() \
                    .count() < n and time.perf_counter() - start < 300:
                time.sleep(0.2)
            drained = n / (time.perf_counter() - start)
            latencies = [
                (offered_at.timestamp() - sent_at[lead_id]) * 1000
                for lead_id, offered_at in Offer.objects.filter(lead_id__in=lead_ids)
                .values_list("lead_id", "offered_at")]
    finally:
        worker.terminate()
        worker.wait(20)
    latencies.sort()
    return (statistics.median(latencies), latencies[int(len(latencies) * 0.99) - 1], drained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--skip-worker", action="store_true")
    args = parser.parse_args()
    tenant = setup(args.partners)
    print(f"partners: {args.partners}")
    print(f"routed and offered in one process: {bench_in_process(tenant, args.leads):.0f} leads/s")
    print(f"expiry sweep: {bench_sweep(tenant, args.leads):.0f} offers/s")
    if not args.skip_worker and os.environ.get("REDIS_URL"):
        p50, p99, drained = bench_end_to_end(tenant, args.leads)
        print(f"enqueue → offer with one worker: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"{drained:.0f} leads/s drained")


if __name__ == "__main__":
    main()

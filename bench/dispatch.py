"""Dispatch benchmark on PostgreSQL: routing + offers per second in one process (what one
worker process does per task, without the broker), the expiry sweep's throughput, and with
a real worker on Redis: how fast a burst of routing tasks drains, and the time from a lead's
arrival through the ingestion service to its offer being visible, at a steady arrival rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_bench \\
    REDIS_URL=redis://127.0.0.1:6379/14 .venv/bin/python bench/dispatch.py \\
        [--partners 1000] [--leads 500] [--arrivals 1000 --rate 100] \\
        [--skip-worker] [--sweep-leads 4000] [--sweepers 2] [--sweep-via worker|processes]

Every run creates its own tenant (slug `dispatch-<time>`). The Redis database given is
emptied (FLUSHDB) before each worker run: give the benchmark one of its own.
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


def bench_in_process(tenant, n: int) -> tuple[float, float]:
    """Leads routed and offered per second in one process, as a worker does it: (a) one lead
    per transaction, (b) a burst — each task routes its lead with up to ROUTE_BATCH others
    waiting behind it, and the tasks of those find nothing left to do."""
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.dispatch import ROUTE_BATCH, lead_route_and_dispatch, leads_route_and_dispatch

    singles = make_leads(tenant, n)
    with tenant_scope(tenant):
        lead_route_and_dispatch(lead_id=singles[0])  # warm the partner-table cache
        start = time.perf_counter()
        for lead_id in singles[1:]:
            lead_route_and_dispatch(lead_id=lead_id)
        one_by_one = (n - 1) / (time.perf_counter() - start)
    burst = make_leads(tenant, n)
    with tenant_scope(tenant):
        start = time.perf_counter()
        routed = 0
        for lead_id in burst:  # each lead's task, in arrival order
            routed += leads_route_and_dispatch(lead_ids=[lead_id], fill_up_to=ROUTE_BATCH)
        in_bursts = routed / (time.perf_counter() - start)
    assert routed == n, routed
    return one_by_one, in_bursts


def bench_sweep(tenant, *, extra_leads: int = 0, sweepers: int = 1, via: str = "worker"
                ) -> tuple[float, float, float]:
    """Every pending offer made due (plus those of `extra_leads` more leads routed in bursts
    first), then swept; each expiry also makes the cascade's next offer. Returns offers
    expired per second, and CPU per 1,000 offers of the sweeping processes (Python) and of
    their PostgreSQL backends (both from /proc: on a shared machine steadier than the rate).

    `via="worker"` (the product): a real worker with `sweepers` processes (prefork) and
    SWEEP_PARALLELISM the same, sent the beat's `matching.sweep` once; it fans the backlog out
    over its processes. Timed from the send to the moment no due offer is left (polled).
    `via="processes"`: `sweepers` processes calling `offers_expire_due` side by side (no
    broker: the sweep's own cost, for A/B of the SQL)."""
    from django.db import connection
    from django.utils import timezone

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.dispatch import ROUTE_BATCH, leads_route_and_dispatch
    from matching.models import Offer

    extra = make_leads(tenant, extra_leads) if extra_leads else []
    with tenant_scope(tenant):
        for i in range(0, len(extra), ROUTE_BATCH):
            leads_route_and_dispatch(lead_ids=extra[i:i + ROUTE_BATCH])
    worker = _sweep_worker(tenant, sweepers) if via == "worker" else None
    with tenant_scope(tenant):
        due = timezone.now() - timezone.timedelta(minutes=1)
        Offer.objects.filter(status="pending").update(expires_at=due)
        count = Offer.objects.filter(status="pending").count()
    if worker is not None:
        elapsed, python_cpu, pg_cpu = _sweep_by_worker(worker, tenant, due)
        with tenant_scope(tenant):
            expired = Offer.objects.filter(status="expired", responded_at__gt=due).count()
    else:
        elapsed, expired, python_cpu, pg_cpu = _sweep_by_processes(tenant, sweepers)
    connection.close()
    assert expired >= count, (expired, count)
    return (expired / elapsed, python_cpu * 1000 / expired * 1000,
            pg_cpu * 1000 / expired * 1000)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.append(int(entry.name))
    return found


def _backends_cpu() -> dict[int, float]:
    """CPU so far of each of this database's other client backends (the sweepers')."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND backend_type = 'client backend' AND pid <> pg_backend_pid()")
        return {pid: _cpu_seconds(pid) for (pid,) in cursor.fetchall()}


def _sweep_worker(tenant, sweepers: int) -> subprocess.Popen:
    """A worker of `sweepers` processes, up and warm (as a deployed one is): it has answered
    a ping, and each process has run a sweep helper while nothing was due."""
    from celery import Celery

    # Connections kept (as deployed: CONN_MAX_AGE), so their backends' CPU can be read.
    worker = _worker({"SWEEP_PARALLELISM": str(sweepers), "CONN_MAX_AGE": "600"},
                     concurrency=sweepers)
    sender = Celery(broker=os.environ["REDIS_URL"], set_as_current=False)
    deadline = time.time() + 60
    while not sender.control.ping(timeout=1) and time.time() < deadline:
        pass
    for _ in range(sweepers):
        sender.send_task("matching.sweep_expire", args=[tenant.pk])
    time.sleep(3)
    return worker


def _sweep_by_worker(worker: subprocess.Popen, tenant, due) -> tuple[float, float, float]:
    """The beat's sweep sent once; (seconds until no due offer is left, CPU of the worker's
    processes, CPU of their PostgreSQL backends)."""
    from celery import Celery

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer

    try:
        tree = [worker.pid] + _children(worker.pid)
        before, pg_before = sum(_cpu_seconds(pid) for pid in tree), _backends_cpu()
        pg_seen = dict(pg_before)  # a backend's last reading (one may close mid-run)
        sender = Celery(broker=os.environ["REDIS_URL"], set_as_current=False)
        start = time.perf_counter()
        sender.send_task("matching.sweep")
        with tenant_scope(tenant):
            polls = 0
            while Offer.objects.filter(status="pending", expires_at__lte=due).exists():
                time.sleep(0.02)
                polls += 1
                if polls % 10 == 0:
                    pg_seen.update(_backends_cpu())
        elapsed = time.perf_counter() - start
        python_cpu = sum(_cpu_seconds(pid) for pid in tree) - before
        pg_seen.update({pid: cpu for pid, cpu in _backends_cpu().items() if cpu})
        pg_cpu = sum(cpu - pg_before.get(pid, 0.0) for pid, cpu in pg_seen.items())
    finally:
        worker.terminate()
        worker.wait(20)
    return elapsed, python_cpu, pg_cpu


def _sweep_by_processes(tenant, sweepers: int) -> tuple[float, int, float, float]:
    import multiprocessing

    from django.db import connection

    if sweepers == 1:
        go, results = None, multiprocessing.SimpleQueue()
        start = time.perf_counter()
        _sweeper(tenant.pk, go, results)
        outcome = [results.get()]
    else:
        connection.close()  # each process opens its own
        context = multiprocessing.get_context("fork")
        go, results = context.Event(), context.SimpleQueue()
        processes = [context.Process(target=_sweeper, args=(tenant.pk, go, results))
                     for _ in range(sweepers)]
        for process in processes:
            process.start()
        time.sleep(2)  # connected and waiting
        start = time.perf_counter()
        go.set()
        outcome = [results.get() for _ in processes]
        for process in processes:
            process.join()
    elapsed = time.perf_counter() - start
    failed = [c for _n, c, _p in outcome if isinstance(c, str)]
    assert not failed, failed
    return (elapsed, sum(n for n, _c, _p in outcome), sum(c for _n, c, _p in outcome),
            sum(p for _n, _c, p in outcome))


def _sweeper(tenant_id: int, go, results) -> None:
    from django.db import connection

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.offers import offers_expire_due

    try:
        with tenant_scope(tenant_id):
            connection.ensure_connection()
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                backend = cursor.fetchone()[0]
            if go is not None:
                go.wait()
            cpu, pg_cpu = time.process_time(), _cpu_seconds(backend)
            expired = offers_expire_due()
            results.put((expired, time.process_time() - cpu, _cpu_seconds(backend) - pg_cpu))
    except Exception as exc:  # reported, so the parent does not wait forever
        results.put((0, repr(exc), 0.0))
    finally:
        if go is not None:
            connection.close()


def _worker(extra_env: dict | None = None, concurrency: int = 0) -> subprocess.Popen:
    """One worker process (solo pool: one task at a time; or prefork with `concurrency`
    processes) on the benchmark's Redis database, which is emptied first so no earlier
    run's tasks are waiting."""
    from django.db import connection

    redis_url = os.environ["REDIS_URL"]
    import redis

    redis.Redis.from_url(redis_url).flushdb()
    db = connection.settings_dict
    env = {**os.environ, "DEBUG": "1", "REDIS_URL": redis_url, **(extra_env or {}),
           "DATABASE_URL": f"postgres://{db['USER'] or 'postgres'}@{db['HOST'] or '127.0.0.1'}:"
                           f"{db['PORT'] or 5432}/{db['NAME']}"}
    pool = (["--pool", "prefork", "--concurrency", str(concurrency)] if concurrency
            else ["--pool", "solo"])
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "leadrouter", "worker", *pool,
         "--without-gossip", "--without-mingle", "--loglevel",
         os.environ.get("BENCH_WORKER_LOGLEVEL", "WARNING")], cwd=ROOT, env=env)
    time.sleep(5)
    return worker


def _first_seen(tenant, lead_ids: list[int], deadline: float) -> dict[int, float]:
    """When each lead's first offer became visible to another connection (polled every
    10 ms: the latency is measured to the commit, not to the offer's own timestamp)."""
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer

    seen: dict[int, float] = {}
    waiting = set(lead_ids)
    with tenant_scope(tenant):
        while waiting and time.time() < deadline:
            now = time.time()
            for lead_id in Offer.objects.filter(lead_id__in=waiting).values_list("lead_id",
                                                                              flat=True):
                seen[lead_id] = now
                waiting.discard(lead_id)
            time.sleep(0.01)
    return seen


def bench_end_to_end(tenant, n: int, rate: float) -> tuple[float, float, int]:
    """Leads arriving at `rate` per second through the ingestion service (the API's own
    door; it enqueues the routing task on commit), one worker: p50 and p99 of arrival →
    offer visible, and how many got no offer within 60 s of the last arrival."""
    import threading

    from leadrouter.tenancy.scoping import tenant_scope
    from leads.services import lead_ingest

    worker = _worker()
    sent_at: dict[int, float] = {}
    done = threading.Event()
    seen: dict[int, float] = {}
    try:
        def arrive():
            with tenant_scope(tenant):
                start = time.perf_counter()
                for i in range(n):
                    delay = start + i / rate - time.perf_counter()
                    if delay > 0:
                        time.sleep(delay)
                    prefix, code, city = CITIES[i % len(CITIES)]
                    at = time.time()
                    lead, _created = lead_ingest(
                        tenant=tenant, actor="bench", channel="api",
                        data={"company_name": f"Anfrage {i}", "country": "DE",
                              "postal_code": code, "city": city, "employees": 20,
                              "deal_value": 10000 + i})
                    sent_at[lead.pk] = at
            done.set()

        from django.db import connection

        arrivals = threading.Thread(target=lambda: (arrive(), connection.close()))
        arrivals.start()
        time.sleep(0.5)
        while not done.is_set() or len(seen) < len(sent_at):
            seen.update(_first_seen(tenant, [pk for pk in list(sent_at) if pk not in seen],
                                    time.time() + 0.5))
            if done.is_set() and time.time() > max(sent_at.values()) + 60:
                break
        arrivals.join()
    finally:
        worker.terminate()
        worker.wait(20)
    latencies = sorted((seen[pk] - sent_at[pk]) * 1000 for pk in sent_at if pk in seen)
    return (statistics.median(latencies), latencies[max(int(len(latencies) * 0.99) - 1, 0)],
            n - len(latencies))


def bench_burst(tenant, n: int) -> tuple[float, float]:
    """`n` leads stored at once (a bulk import) and the one wake-up ingestion sends for
    them: how fast one worker routes and offers them (leads/s) and the median wait."""
    from celery import Celery

    worker = _worker()
    try:
        lead_ids = make_leads(tenant, n)
        sender = Celery(broker=os.environ["REDIS_URL"])
        sent = time.time()
        sender.send_task("matching.route_new_leads", args=[tenant.pk])
        seen = _first_seen(tenant, lead_ids, time.time() + 300)
    finally:
        worker.terminate()
        worker.wait(20)
    assert len(seen) == n, f"{n - len(seen)} leads got no offer"
    median_wait = statistics.median(t - sent for t in seen.values()) * 1000
    return n / (max(seen.values()) - sent), median_wait


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--partners", type=int, default=1000)
    parser.add_argument("--leads", type=int, default=500)
    parser.add_argument("--skip-worker", action="store_true")
    parser.add_argument("--sweep-leads", type=int, default=0,
                        help="more leads routed (in bursts) before the sweep, for more due offers")
    parser.add_argument("--sweepers", type=int, default=1,
                        help="worker processes the beat's sweep fans out over (or, with "
                             "--sweep-via processes, processes sweeping side by side)")
    parser.add_argument("--sweep-via", choices=("worker", "processes"), default="worker",
                        help="worker: a real worker runs the beat's sweep task (needs "
                             "REDIS_URL); processes: offers_expire_due called directly")
    parser.add_argument("--arrivals", type=int, default=1000,
                        help="leads sent through the ingestion service for the latency run")
    parser.add_argument("--rate", type=float, default=100.0,
                        help="their arrival rate, leads per second")
    args = parser.parse_args()
    tenant = setup(args.partners)
    print(f"partners: {args.partners}")
    one_by_one, in_bursts = bench_in_process(tenant, args.leads)
    print(f"routed and offered in one process, one lead per task: {one_by_one:.0f} leads/s")
    print(f"routed and offered in one process, a burst (batches): {in_bursts:.0f} leads/s")
    via = args.sweep_via if os.environ.get("REDIS_URL") else "processes"
    per_second, cpu_ms, pg_ms = bench_sweep(tenant, extra_leads=args.sweep_leads,
                                            sweepers=args.sweepers, via=via)
    print(f"expiry sweep, {args.sweepers} process(es) via {via}: {per_second:.0f} offers/s "
          f"(CPU per 1,000 offers: Python {cpu_ms:.0f} ms, PostgreSQL {pg_ms:.0f} ms; "
          f"load {os.getloadavg()[0]:.1f})")
    if not args.skip_worker and os.environ.get("REDIS_URL"):
        drained, median_wait = bench_burst(tenant, args.leads)
        print(f"burst of {args.leads} leads, one worker: {drained:.0f} leads/s routed "
              f"and offered, median wait {median_wait:.0f} ms")
        p50, p99, missing = bench_end_to_end(tenant, args.arrivals, args.rate)
        print(f"{args.arrivals} leads arriving at {args.rate:.0f}/s through the ingestion "
              f"service, one worker: arrival → offer visible p50 {p50:.0f} ms, p99 {p99:.0f} ms"
              + (f", {missing} without an offer" if missing else ""))


if __name__ == "__main__":
    main()

"""Chaos run: leads through a real Celery worker on Redis while the worker is SIGKILLed and
Redis is restarted (DESIGN.md §6 "a lead survives a worker or broker restart at any moment").

    .venv/bin/python bench/chaos.py [--leads 1000] [--kills 10] [--redis-restarts 2]

Not part of the test suite (it takes about five minutes). What it does:
- starts its own Redis on a spare port (default 6390, no persistence, so a restart loses every
  queued task) and (re)creates its own PostgreSQL database (default `lr_chaos`, migrated);
  nobody else's Redis or database is touched;
- two tenants, 12 partners each: one routes in `cascade` mode, the other in `broadcast`
  (top 3 at once, first accept wins);
- creates the leads through `leads.services.lead_ingest` (which enqueues routing on commit)
  at a steady pace, while a real worker (prefork, 2 processes) consumes them; meanwhile the
  worker's process group is killed with SIGKILL `--kills` times (restarted a second later)
  and Redis is shut down without saving and restarted `--redis-restarts` times;
- acts as the beat: sends `matching.sweep` every `--sweep-interval` seconds;
- acts as the partners: of every new offer, 5 in 10 are accepted, 2 rejected and 3 left to
  expire (their deadline is pulled to a few seconds from now: the accept SLA compressed, so
  the sweep's expiry and cascade are exercised within the run); in the broadcast tenant two
  partners accept the same lead at the same instant whenever two offers are open;
- then waits until every lead has settled and checks:
  lost leads       — none still new/routing, none `offered` without a live offer, each one
                     settled (offered, accepted or unrouted) within the bound;
  duplicate offers — no lead with two pending offers in cascade mode, no partner offered the
                     same lead twice;
  double accepts   — no lead with two accepted offers; of the simultaneous accepts, at most
                     one per lead succeeded.
Exit status 0 when all checks pass. Prints a JSON summary (also written to --out).
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PG = os.environ.get("CHAOS_PG", "postgres://postgres@127.0.0.1:5432")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--redis-restarts", type=int, default=2)
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--db", default="lr_chaos")
    parser.add_argument("--ingest-seconds", type=float, default=200.0,
                        help="spread the lead creation over this long")
    parser.add_argument("--sweep-interval", type=float, default=5.0)
    parser.add_argument("--sla-seconds", type=float, default=4.0,
                        help="compressed accept SLA of the offers left to expire")
    parser.add_argument("--visibility-timeout", type=int, default=20,
                        help="broker visibility timeout: unacked tasks come back after it")
    parser.add_argument("--stuck-seconds", type=int, default=15,
                        help="the sweep re-routes leads still new after this long "
                             "(ROUTING_STUCK_SECONDS)")
    parser.add_argument("--settle-timeout", type=float, default=420.0)
    parser.add_argument("--out", default="")
    return parser.parse_args()


ARGS = parse_args()
VAR_DIR = Path(f"/tmp/{ARGS.db}_var")
VAR_DIR.mkdir(exist_ok=True)
REDIS_URL = f"redis://127.0.0.1:{ARGS.redis_port}/0"
ENV = {
    "DATABASE_URL": f"{PG}/{ARGS.db}", "REDIS_URL": REDIS_URL, "DEBUG": "1",
    "VAR_DIR": str(VAR_DIR), "BROKER_VISIBILITY_TIMEOUT": str(ARGS.visibility_timeout),
    "ROUTING_STUCK_SECONDS": str(ARGS.stuck_seconds),
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend", "API_RATE_LIMIT": "",
    "DJANGO_SETTINGS_MODULE": "leadrouter.settings",
}
os.environ.update(ENV)


# ----------------------------------------------------------------------- Redis and database

def redis_start() -> None:
    subprocess.run(["redis-server", "--port", str(ARGS.redis_port), "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--dir", str(VAR_DIR),
                    "--pidfile", str(VAR_DIR / "redis.pid"), "--loglevel", "warning"],
                   check=True)
    for _ in range(50):
        if redis_cli("ping").strip() == "PONG":
            return
        time.sleep(0.1)
    raise RuntimeError("redis did not start")


def redis_cli(*args: str) -> str:
    result = subprocess.run(["redis-cli", "-p", str(ARGS.redis_port), *args],
                            capture_output=True, text=True)
    return result.stdout


def redis_stop() -> None:
    redis_cli("shutdown", "nosave")
    time.sleep(0.5)


def database_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ARGS.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ARGS.db}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   check=True, env={**os.environ, **ENV})


# --------------------------------------------------------------------------------- worker

class Worker:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.log = open(VAR_DIR / "worker.log", "a")  # noqa: SIM115 (kept open for the run)

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "leadrouter", "worker", "--pool", "prefork",
             "--concurrency", "2", "--without-heartbeat", "--without-gossip",
             "--without-mingle", "--loglevel", "WARNING"],
            cwd=ROOT, env={**os.environ, **ENV}, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def worker_ready(timeout: float = 90.0) -> None:
    """Wait until the first worker answers, so the first kill hits a working worker."""
    from leadrouter.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.control.ping(timeout=1.0):
            return
    raise RuntimeError("the worker did not start")


# ------------------------------------------------------------------------------ the world

def world_create() -> list:
    from feedback.models import TenantFeedbackSettings
    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import RoutingPolicy
    from partners.models import Partner

    tenants = []
    for mode in ("cascade", "broadcast"):
        tenant = Tenant.objects.create(slug=f"chaos-{mode}", name=f"Chaos {mode}")
        with tenant_scope(tenant):
            RoutingPolicy.objects.create(tenant=tenant, version=1, mode=mode, broadcast_count=3,
                                         max_attempts=3, accept_sla_hours=24,
                                         exploration_rate=0.0, created_by="chaos")
            # The threshold rules would pause partners that let offers expire; the run is
            # about delivery, not about the rules.
            TenantFeedbackSettings.objects.create(tenant=tenant, rule_pause=False,
                                                  rule_tier=False, rule_alert=False,
                                                  rule_boost=False)
            for i in range(12):
                Partner.objects.create(tenant=tenant, external_id=f"P{i}", name=f"Partner {i}",
                                       country="DE", postal_code="80331", city="München",
                                       employees=20, capacity=100_000)
        tenants.append(tenant)
    return tenants


def lead_data(i: int) -> dict:
    return {"external_id": f"chaos-{i}", "company_name": f"Firma {i} GmbH", "country": "DE",
            "postal_code": "80331", "city": "München", "deal_value": str(5000 + i * 7 % 40000),
            "employees": 10 + i % 300, "contact_name": f"Kontakt {i}",
            "contact_email": f"k{i}@firma{i}.example", "consent": True, "source": "chaos"}


class Stats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.counts: Counter = Counter()
        self.race_wins: Counter = Counter()  # lead id → successful simultaneous accepts
        self.created_at: dict[int, float] = {}
        self.settled_at: dict[int, float] = {}

    def add(self, key: str, n: int = 1) -> None:
        with self.lock:
            self.counts[key] += n


STATS = Stats()
STOP = threading.Event()


def ingest(tenants: list) -> None:
    from leadrouter.tenancy.scoping import tenant_scope
    from leads.models import LeadChannel
    from leads.services import lead_ingest

    pause = ARGS.ingest_seconds / ARGS.leads
    for i in range(ARGS.leads):
        tenant = tenants[i % 2]
        started = time.monotonic()
        with tenant_scope(tenant):
            try:
                lead, _ = lead_ingest(tenant=tenant, actor="chaos", data=lead_data(i),
                                      channel=LeadChannel.API)
            except Exception as exc:  # the routing task could not be sent: broker down
                # The lead is committed (the send happens after the commit); find it.
                from leads.models import Lead

                lead = Lead.objects.filter(external_id=f"chaos-{i}").first()
                STATS.add(f"enqueue_failed:{type(exc).__name__}")
                if lead is None:
                    STATS.add("ingest_failed")
                    continue
        STATS.created_at[lead.pk] = time.time()
        STATS.add("created")
        time.sleep(max(0.0, pause - (time.monotonic() - started)))


def beat() -> None:
    from leadrouter.celery import app

    while not STOP.is_set():
        try:
            app.send_task("matching.sweep")
            STATS.add("sweeps_sent")
        except Exception:
            STATS.add("sweeps_not_sent")
        STOP.wait(ARGS.sweep_interval)


def _accept(offer_id: int, partner_id: int, lead_id: int, tenant_id: int,
            barrier: threading.Barrier | None = None) -> None:
    from django.db import connection

    from leadrouter.api_errors import DomainError
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.offers import offer_accept

    try:
        with tenant_scope(tenant_id):
            if barrier is not None:
                barrier.wait(5)
            try:
                offer_accept(offer_id=offer_id, partner_id=partner_id, actor="chaos-partner")
                STATS.add("accepted")
                if barrier is not None:
                    with STATS.lock:
                        STATS.race_wins[lead_id] += 1
            except DomainError:
                STATS.add("accept_refused")
            except Exception as exc:  # broker down while notifying after commit
                STATS.add(f"accept_after_commit_error:{type(exc).__name__}")
    finally:
        connection.close()


def partners(tenants: list) -> None:
    """Answer every new offer: accept, reject or let it expire (SLA compressed)."""
    from django.db import connection
    from django.utils import timezone

    from leadrouter.api_errors import DomainError
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer, OfferStatus
    from matching.offers import offer_reject

    seen: set[int] = set()
    rng = random.Random(7)
    while not STOP.is_set():
        for tenant in tenants:
            with tenant_scope(tenant):
                pending = list(Offer.objects.filter(status=OfferStatus.PENDING)
                               .exclude(pk__in=seen).values_list("pk", "lead_id", "partner_id"))
                by_lead: dict[int, list] = {}
                for row in pending:
                    by_lead.setdefault(row[1], []).append(row)
                for lead_id, offers in by_lead.items():
                    seen.update(pk for pk, _, _ in offers)
                    roll = rng.random()
                    if roll < 0.5:
                        if len(offers) >= 2:  # broadcast: two partners accept at once
                            barrier = threading.Barrier(2)
                            threads = [threading.Thread(target=_accept, args=(
                                pk, partner_id, lead_id, tenant.pk, barrier))
                                for pk, _, partner_id in offers[:2]]
                            for thread in threads:
                                thread.start()
                            for thread in threads:
                                thread.join()
                            STATS.add("accept_races")
                        else:
                            pk, _, partner_id = offers[0]
                            _accept(pk, partner_id, lead_id, tenant.pk)
                    elif roll < 0.7:
                        for pk, _, partner_id in offers:
                            try:
                                offer_reject(offer_id=pk, partner_id=partner_id,
                                             actor="chaos-partner", reason="no_capacity")
                                STATS.add("rejected")
                            except DomainError:
                                STATS.add("reject_refused")
                            except Exception as exc:  # broker down after commit
                                STATS.add(f"reject_after_commit_error:{type(exc).__name__}")
                    else:
                        deadline = timezone.now() + timezone.timedelta(seconds=ARGS.sla_seconds)
                        Offer.objects.filter(pk__in=[pk for pk, _, _ in offers],
                                             status=OfferStatus.PENDING).update(
                            expires_at=deadline)
                        STATS.add("left_to_expire", len(offers))
        connection.close()
        STOP.wait(0.3)


# --------------------------------------------------------------------------------- checks

def monitor(tenants: list) -> None:
    """Once a second: which leads have settled (first time noted), and whether a cascade
    lead ever has two pending offers at once."""
    from django.db import connection
    from django.db.models import Count

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer, OfferStatus

    while not STOP.is_set():
        settled, _ = settled_now(tenants)
        now = time.time()
        with STATS.lock:
            for pk in settled:
                STATS.settled_at.setdefault(pk, now)
        with tenant_scope(tenants[0]):  # the cascade tenant
            doubles = (Offer.objects.filter(status=OfferStatus.PENDING).values("lead_id")
                       .annotate(n=Count("id")).filter(n__gt=1).count())
        if doubles:
            STATS.add("cascade_two_pending_observed", doubles)
        connection.close()
        STOP.wait(1.0)


SETTLED = ("accepted", "in_progress", "won", "lost", "unrouted", "withdrawn")


def settled_now(tenants: list) -> tuple[set[int], dict]:
    """Leads settled right now: in a final state, or offered with a live pending offer."""
    from django.utils import timezone

    from leadrouter.tenancy.scoping import tenant_scope
    from leads.models import Lead
    from matching.models import Offer, OfferStatus

    grace = timezone.now() - timezone.timedelta(seconds=2 * ARGS.sweep_interval)
    settled, states = set(), Counter()
    for tenant in tenants:
        with tenant_scope(tenant):
            live = set(Offer.objects.filter(status=OfferStatus.PENDING, expires_at__gt=grace)
                       .values_list("lead_id", flat=True))
            for pk, status in Lead.objects.values_list("pk", "status"):
                states[status] += 1
                if status in SETTLED or (status == "offered" and pk in live):
                    settled.add(pk)
    return settled, dict(states)


def invariants(tenants: list) -> dict:
    from django.db.models import Count

    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Offer, OfferStatus

    result = {}
    for tenant in tenants:
        with tenant_scope(tenant):
            offers = Offer.objects.all()
            two_pending = (offers.filter(status=OfferStatus.PENDING).values("lead_id")
                           .annotate(n=Count("id")).filter(n__gt=1).count())
            same_partner_twice = (offers.values("lead_id", "partner_id")
                                  .annotate(n=Count("id")).filter(n__gt=1).count())
            two_accepted = (offers.filter(status=OfferStatus.ACCEPTED).values("lead_id")
                            .annotate(n=Count("id")).filter(n__gt=1).count())
            statuses = Counter(offers.values_list("status", flat=True))
            lateness = [(responded - expires).total_seconds() for responded, expires in
                        offers.filter(status=OfferStatus.EXPIRED)
                        .values_list("responded_at", "expires_at")]
        result[tenant.slug] = {
            "offers": dict(statuses),
            "leads_with_two_pending_offers": two_pending if "cascade" in tenant.slug else None,
            "partner_offered_same_lead_twice": same_partner_twice,
            "leads_with_two_accepted_offers": two_accepted,
            "expiry_lateness_s": {"max": round(max(lateness), 1) if lateness else None,
                                  "p50": round(sorted(lateness)[len(lateness) // 2], 1)
                                  if lateness else None},
        }
    return result


def main() -> int:
    print(f"chaos: Redis on {ARGS.redis_port}, database {ARGS.db}", flush=True)
    redis_stop()  # a Redis left over from an earlier run on this port
    redis_start()
    database_recreate()
    import django

    django.setup()
    from django.db import connection

    tenants = world_create()
    worker = Worker()
    worker.start()
    worker_ready()
    threads = [threading.Thread(target=beat, daemon=True),
               threading.Thread(target=partners, args=(tenants,), daemon=True),
               threading.Thread(target=monitor, args=(tenants,), daemon=True)]
    for thread in threads:
        thread.start()
    ingester = threading.Thread(target=ingest, args=(tenants,))
    started = time.time()
    ingester.start()

    # The chaos schedule: kills and Redis restarts spread over the ingestion window.
    events = [("kill", ARGS.ingest_seconds * (i + 0.5) / ARGS.kills) for i in range(ARGS.kills)]
    events += [("redis", ARGS.ingest_seconds * (i + 1) / (ARGS.redis_restarts + 1))
               for i in range(ARGS.redis_restarts)]
    for kind, at in sorted(events, key=lambda e: e[1]):
        time.sleep(max(0.0, started + at - time.time()))
        if kind == "kill":
            worker.kill()
            STATS.add("worker_kills")
            time.sleep(1.0)
            worker.start()
        else:
            redis_stop()
            STATS.add("redis_restarts")
            time.sleep(2.0)
            redis_start()
        print(f"  {time.time() - started:6.1f}s {kind} ({STATS.counts['created']} leads)",
              flush=True)
    ingester.join()
    ingest_done = time.time()
    print(f"  {ingest_done - started:6.1f}s all {ARGS.leads} leads created; settling",
          flush=True)

    # Settle: every lead in a final state or offered with a live offer, and staying so.
    deadline = ingest_done + ARGS.settle_timeout
    states: dict = {}
    while time.time() < deadline:
        settled, states = settled_now(tenants)
        unsettled = set(STATS.created_at) - settled
        if not unsettled and states.get("offered", 0) == 0:
            break
        time.sleep(1.0)
    STOP.set()
    for thread in threads:
        thread.join(10)
    settled, states = settled_now(tenants)
    worker.stop()
    checks = invariants(tenants)
    connection.close()
    redis_stop()

    lost = sorted(set(STATS.created_at) - settled)
    latencies = sorted(STATS.settled_at[pk] - STATS.created_at[pk]
                       for pk in STATS.created_at if pk in STATS.settled_at)
    # A lead whose routing task died with the worker or with Redis is re-routed by the sweep
    # once it has been `new` for ROUTING_STUCK_SECONDS; the sweep runs every interval (and
    # one sweep may itself be lost): the bound on the time from creation to offered/unrouted.
    bound = ARGS.stuck_seconds + 2 * ARGS.sweep_interval
    over_bound = sum(1 for latency in latencies if latency > bound)
    double_race_wins = sum(1 for wins in STATS.race_wins.values() if wins > 1)
    summary = {
        "leads": ARGS.leads, "worker_kills": STATS.counts["worker_kills"],
        "redis_restarts": STATS.counts["redis_restarts"],
        "sweep_interval_s": ARGS.sweep_interval, "compressed_sla_s": ARGS.sla_seconds,
        "visibility_timeout_s": ARGS.visibility_timeout,
        "duration_s": round(time.time() - started, 1),
        "lead_states": states, "lost_leads": len(lost), "lost_lead_ids": lost[:20],
        "first_settle_s": {
            "p50": round(latencies[len(latencies) // 2], 1) if latencies else None,
            "p99": round(latencies[int(len(latencies) * 0.99)], 1) if latencies else None,
            "max": round(latencies[-1], 1) if latencies else None},
        "settle_bound_s": bound, "settled_over_bound": over_bound,
        "double_accepts_in_races": double_race_wins, "invariants": checks,
        "counts": dict(STATS.counts),
        "load_average": os.getloadavg(),
    }
    ok = (not lost and not over_bound and double_race_wins == 0
          and not STATS.counts["cascade_two_pending_observed"] and all(
        not c["partner_offered_same_lead_twice"] and not c["leads_with_two_accepted_offers"]
        and not c["leads_with_two_pending_offers"] for c in checks.values()))
    summary["ok"] = ok
    text = json.dumps(summary, indent=2, default=str)
    print(text)
    if ARGS.out:
        Path(ARGS.out).write_text(text)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

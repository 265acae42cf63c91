"""Load: lead creation mixed with reads, against gunicorn + a Celery worker on PostgreSQL +
Redis, for minutes at the highest rate that stays under 0.1 % errors.

    .venv/bin/python bench/load.py [--duration 300] [--probe 4,8,16] [--mix 62,6,12,12,8]
    .venv/bin/python bench/load.py --single-only        # no bulk: the mix 60,0,20,10,10

Not part of the test suite. A small threaded HTTP load generator (closed loop: each client
thread sends its next request when the previous answer arrived, over a kept-alive
connection) — no extra dependency. What it does:
- starts its own Redis on a spare port (default 6391, no persistence) and (re)creates its own
  PostgreSQL database (default `lr_load`, migrated); nobody else's Redis or database is used;
- seeds one tenant: 40 partners, `--seed-leads` leads already routed, a manager and a partner user
  (both logged in by the script: their session cookies are used by the clients);
- starts gunicorn as in production (DEBUG off, gthread: `--workers`×`--threads`, persistent DB
  connections, API_RATE_LIMIT = "" in a throw-away settings module so the per-key limit
  does not cap the run) and one Celery
  worker (prefork, 2 processes) that routes every created lead;
- `--probe`: 30-second steps at each concurrency, then the main run at the fewest clients
  that reach the highest rate: the smallest concurrency within 5 % of the most requests/s
  with < 0.1 % errors (`main_concurrency`);
- the mix (weights of requests): `POST /api/v1/leads/` (one lead), `POST /api/v1/leads/bulk/`
  (a CRM sync: `--bulk-size` leads per request), `GET /api/v1/leads/` (API list),
  `GET /portal/` (a partner's inbox), `GET /insights/` (the manager's dashboard). Every
  created lead is routed by the worker. The default is a CRM integration's day: most requests
  are single creates, a few are syncs in batches, and the reads come from people and CRMs
  polling (docs/benchmarks.md, "Load", says why); `--single-only` drops the bulk kind.
Reports requests/s, lead creations/s by single POST and by bulk separately, p50/p95/p99 per
kind and overall, errors, and the load average before and after (the machine is shared).
JSON to stdout and --out.
"""

import argparse
import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench.probes import main_concurrency  # noqa: E402 (ROOT on the path first)

PG = os.environ.get("LOAD_PG", "postgres://postgres@127.0.0.1:5432")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=float, default=300.0)
    parser.add_argument("--concurrency", type=int, default=0,
                        help="client threads of the main run (0: chosen by --probe)")
    parser.add_argument("--probe", default="4,8,16")
    parser.add_argument("--probe-seconds", type=float, default=30.0)
    parser.add_argument("--mix", default="62,6,12,12,8",
                        help="weights of create, bulk create, api list, partner inbox, "
                             "dashboard")
    parser.add_argument("--bulk-size", type=int, default=40, help="leads per bulk request")
    parser.add_argument("--single-only", action="store_true",
                        help="no bulk requests: the mix 60,0,20,10,10 (the earlier one)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="gunicorn threads per worker")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--db", default="lr_load")
    parser.add_argument("--seed-leads", type=int, default=500)
    parser.add_argument("--no-worker", action="store_true", help="no Celery worker")
    parser.add_argument("--out", default="")
    return parser.parse_args()


ARGS = parse_args()
if ARGS.single_only:
    ARGS.mix = "60,0,20,10,10"
VAR_DIR = Path(f"/tmp/{ARGS.db}_var")
VAR_DIR.mkdir(exist_ok=True)
ENV = {
    "DATABASE_URL": f"{PG}/{ARGS.db}", "REDIS_URL": f"redis://127.0.0.1:{ARGS.redis_port}/0",
    "VAR_DIR": str(VAR_DIR), "STATIC_ROOT": str(VAR_DIR / "static"), "DEBUG": "0",
    "SECRET_KEY": "load-only-secret-key-" + "x" * 40,
    "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "600",
    "LOG_LEVEL": "WARNING", "API_RATE_LIMIT": "",
    "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "DJANGO_SETTINGS_MODULE": "leadrouter.settings",
}
# API_RATE_LIMIT="" in the environment means "the default" (env_str), so the limit is turned
# off in a throw-away settings module: the product's settings + API_RATE_LIMIT = "".
_SETTINGS_DIR = VAR_DIR / "settings"
_SETTINGS_DIR.mkdir(exist_ok=True)
(_SETTINGS_DIR / "bench_load_settings.py").write_text(
    "from leadrouter.settings import *  # noqa: F403\nAPI_RATE_LIMIT = \"\"\n")
ENV |= {"DJANGO_SETTINGS_MODULE": "bench_load_settings",
        "PYTHONPATH": f"{_SETTINGS_DIR}{os.pathsep}{ROOT}"}
sys.path.insert(0, str(_SETTINGS_DIR))
os.environ.update(ENV)
CHILDREN: list[subprocess.Popen] = []
STOP = threading.Event()  # Ctrl-C: the client threads end their loop


# ------------------------------------------------------------------------------ the stack

def redis_cli(*args: str) -> str:
    return subprocess.run(["redis-cli", "-p", str(ARGS.redis_port), *args],
                          capture_output=True, text=True).stdout


def redis_start() -> None:
    redis_cli("shutdown", "nosave")
    subprocess.run(["redis-server", "--port", str(ARGS.redis_port), "--save", "",
                    "--appendonly", "no", "--daemonize", "yes", "--dir", str(VAR_DIR),
                    "--loglevel", "warning"], check=True)
    for _ in range(50):
        if redis_cli("ping").strip() == "PONG":
            return
        time.sleep(0.1)
    raise RuntimeError("redis did not start")


def database_recreate() -> None:
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{ARGS.db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{ARGS.db}"')
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT,
                   check=True, env={**os.environ, "DEBUG": "1"})
    # DEBUG off serves hashed static names from the manifest: collect them first.
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                   cwd=ROOT, check=True, env={**os.environ, **ENV})


def spawn(command: list[str], log: str) -> subprocess.Popen:
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **ENV},
                               stdout=open(VAR_DIR / log, "a"),  # noqa: SIM115
                               stderr=subprocess.STDOUT, start_new_session=True)
    CHILDREN.append(process)
    return process


def gunicorn_start() -> None:
    spawn([str(ROOT / ".venv/bin/gunicorn"), "leadrouter.wsgi", "--bind",
           f"127.0.0.1:{ARGS.port}", "--workers", str(ARGS.workers), "--threads",
           str(ARGS.threads), "--worker-class", "gthread", "--keep-alive", "30",
           "--backlog", "2048", "--log-level", "warning"], "gunicorn.log")
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", ARGS.port, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def worker_start() -> None:
    spawn([sys.executable, "-m", "celery", "-A", "leadrouter", "worker", "--pool", "prefork",
           "--concurrency", "2", "--without-heartbeat", "--without-gossip", "--without-mingle",
           "--loglevel", "WARNING"], "worker.log")


def stop_children() -> None:
    for process in CHILDREN:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
    for process in CHILDREN:
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
    redis_cli("shutdown", "nosave")


# ------------------------------------------------------------------------------ the world

def lead_data(tag: str, i: int) -> dict:
    return {"external_id": f"{tag}-{i}", "company_name": f"Firma {tag} {i} GmbH",
            "country": "DE", "postal_code": "80331", "city": "München",
            "deal_value": str(5000 + i * 7 % 40000), "employees": 10 + i % 300,
            "contact_name": f"Kontakt {i}", "contact_email": f"k{i}@{tag}.example",
            "consent": True, "source": "load"}


def world_create() -> dict:
    from django.conf import settings
    from django.db import connection
    from django.test import Client

    from leadrouter.tenancy.api_keys import api_key_create
    from leadrouter.tenancy.models import Role, Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from leadrouter.tenancy.services import user_create_in_tenant
    from leads.models import LeadChannel
    from leads.services import leads_ingest_bulk
    from matching.dispatch import lead_route_and_dispatch
    from partners.models import Partner

    tenant = Tenant.objects.create(slug="load", name="Load test")
    with tenant_scope(tenant):
        partners = [Partner.objects.create(
            tenant=tenant, external_id=f"P{i}", name=f"Partner {i}", country="DE",
            postal_code="80331", city="München", employees=20, capacity=1_000_000)
            for i in range(40)]
        key = api_key_create(tenant=tenant, name="load").plain_key
        manager = user_create_in_tenant(tenant=tenant, email="manager@load.example",
                                        role=Role.MANAGER, password="load-password-9")
        partner_user = user_create_in_tenant(tenant=tenant, email="sales@load.example",
                                             role=Role.PARTNER, password="load-password-9",
                                             partner=partners[0])
        # Seeded leads are routed here, in-process, so the run starts without a backlog.
        settings.LEADS_ROUTE_ON_INGEST = False
        for offset in range(0, ARGS.seed_leads, 500):
            results = leads_ingest_bulk(
                tenant=tenant, actor="load", channel=LeadChannel.BULK,
                items=[lead_data("seed", i)
                       for i in range(offset, min(offset + 500, ARGS.seed_leads))])
            for result in results:
                lead_route_and_dispatch(lead_id=result.lead_id)
        settings.LEADS_ROUTE_ON_INGEST = True
    # A database in use has planner statistics (autovacuum); a freshly seeded one has none,
    # and the planner then read every lead of the tenant to sort the API list's first page.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    cookies = {}
    for name, membership in (("manager", manager), ("partner", partner_user)):
        client = Client()
        client.force_login(membership.user)
        cookies[name] = f"{settings.SESSION_COOKIE_NAME}=" \
                        f"{client.cookies[settings.SESSION_COOKIE_NAME].value}"
    return {"key": key, "cookies": cookies}


# ------------------------------------------------------------------------------ the clients

KINDS = ("create", "bulk", "api_list", "partner_inbox", "dashboard")


class Results:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latency: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, int] = defaultdict(int)
        self.statuses: dict[str, int] = defaultdict(int)
        self.created: dict[str, int] = defaultdict(int)  # leads, by kind


def client_loop(world: dict, results: Results, stop_at: float, seed: int, tag: str,
                weights: list[int]) -> None:
    rng = random.Random(seed)
    conn = http.client.HTTPConnection("127.0.0.1", ARGS.port, timeout=30)
    i = 0
    while time.perf_counter() < stop_at and not STOP.is_set():
        kind = rng.choices(KINDS, weights=weights)[0]
        headers = {"Host": "127.0.0.1"}
        body = None
        if kind == "create":
            method, path = "POST", "/api/v1/leads/"
            body = json.dumps(lead_data(f"{tag}{seed}", i))
            i += 1
            headers |= {"Authorization": f"Bearer {world['key']}",
                        "Content-Type": "application/json"}
        elif kind == "bulk":
            method, path = "POST", "/api/v1/leads/bulk/"
            body = json.dumps({"leads": [lead_data(f"{tag}{seed}", i + n)
                                         for n in range(ARGS.bulk_size)]})
            i += ARGS.bulk_size
            headers |= {"Authorization": f"Bearer {world['key']}",
                        "Content-Type": "application/json"}
        elif kind == "api_list":
            method, path = "GET", "/api/v1/leads/"
            headers["Authorization"] = f"Bearer {world['key']}"
        elif kind == "partner_inbox":
            method, path = "GET", "/portal/"
            headers["Cookie"] = world["cookies"]["partner"]
        else:
            method, path = "GET", "/insights/"
            headers["Cookie"] = world["cookies"]["manager"]
        expected = 201 if kind == "create" else 200
        started = time.perf_counter()
        created = 0
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            content = response.read()
            status = response.status
            if kind == "bulk" and status == expected:
                # One bad item does not fail the request: count what was created.
                items = json.loads(content)["results"]
                created = sum(1 for item in items if item["status"] == "created")
                if created != len(items):
                    status = -1  # an item failed: an error of the run
            elif kind == "create" and status == expected:
                created = 1
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", ARGS.port, timeout=30)
        elapsed = time.perf_counter() - started
        with results.lock:
            results.statuses[f"{kind}:{status}"] += 1
            results.created[kind] += created
            if status == expected:
                results.latency[kind].append(elapsed)
            else:
                results.errors[kind] += 1
    conn.close()


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return round(1000 * values[min(len(values) - 1, int(q * len(values)))], 1)


def run(world: dict, concurrency: int, seconds: float, tag: str) -> dict:
    weights = [int(w) for w in ARGS.mix.split(",")]
    results = Results()
    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=client_loop,
                                args=(world, results, stop_at, n, tag, weights))
               for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    everything = [v for values in results.latency.values() for v in values]
    ok = len(everything)
    errors = sum(results.errors.values())
    return {
        "concurrency": concurrency, "seconds": round(wall, 1),
        "requests": ok + errors, "requests_per_s": round((ok + errors) / wall, 1),
        "creations_per_s": round(sum(results.created.values()) / wall, 1),
        "creations_per_s_single": round(results.created["create"] / wall, 1),
        "creations_per_s_bulk": round(results.created["bulk"] / wall, 1),
        "reads_per_s": round(sum(len(results.latency[k]) for k in KINDS[2:]) / wall, 1),
        "error_rate": round(errors / max(1, ok + errors), 5),
        "p50_ms": percentile(everything, 0.50), "p95_ms": percentile(everything, 0.95),
        "p99_ms": percentile(everything, 0.99),
        "by_kind": {kind: {"n": len(results.latency[kind]), "errors": results.errors[kind],
                           "per_s": round(len(results.latency[kind]) / wall, 1),
                           "p50_ms": percentile(results.latency[kind], 0.50),
                           "p95_ms": percentile(results.latency[kind], 0.95),
                           "p99_ms": percentile(results.latency[kind], 0.99)}
                    for kind in KINDS},
        "statuses": dict(results.statuses),
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
    }


def routing_backlog() -> dict:
    from django.db.models import Count

    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from leads.models import Lead

    with tenant_scope(Tenant.objects.get(slug="load")):
        return dict(Lead.objects.values_list("status").annotate(n=Count("id")).order_by())


def cpu_snapshot() -> dict[str, dict[int, float]]:
    """CPU seconds (user + system, Linux /proc) so far of each process of gunicorn, of the
    worker, and of the PostgreSQL backends of the run's database; the load generator's own
    as "client". The machine is shared: these say what the run itself used."""
    from django.db import connection

    tick = os.sysconf("SC_CLK_TCK")
    groups = {child.pid: name for child, name in zip(CHILDREN, ("gunicorn", "worker"),
                                                      strict=False)}
    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        backends = {pid for (pid,) in cursor.fetchall()}
    snapshot: dict[str, dict[int, float]] = defaultdict(dict)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, group = int(stat.parent.name), int(fields[2])
        name = groups.get(group) or ("postgres" if pid in backends else None)
        if name:
            snapshot[name][pid] = (int(fields[11]) + int(fields[12])) / tick
    own = os.times()
    snapshot["client"][os.getpid()] = own.user + own.system
    return snapshot


def cpu_used(before: dict, after: dict, requests: int, seconds: float) -> dict:
    """Per process group: CPU seconds per wall second (1.0 = one core) and ms per request."""
    used = {name: sum(cpu - before.get(name, {}).get(pid, 0.0) for pid, cpu in pids.items())
            for name, pids in after.items()}
    used["total"] = sum(used.values())
    return {name: {"cores": round(cpu / seconds, 2), "ms_per_request": round(
        1000 * cpu / max(1, requests), 2)} for name, cpu in used.items()}


def routing_drain(limit: float = 120.0) -> float | None:
    """Seconds after the run until the worker has routed every lead (None: not within
    `limit`): a backlog means the creations outran routing."""
    started = time.perf_counter()
    while routing_backlog().get("new", 0):
        if time.perf_counter() - started > limit:
            return None
        time.sleep(0.5)
    return round(time.perf_counter() - started, 1)


def main() -> int:
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    load_before = [round(x, 2) for x in os.getloadavg()]
    redis_start()
    database_recreate()
    import django

    django.setup()
    world = world_create()
    try:
        gunicorn_start()
        if not ARGS.no_worker:
            worker_start()
        probes = []
        concurrency = ARGS.concurrency
        if not concurrency:
            for step in [int(c) for c in ARGS.probe.split(",") if c]:
                probe = run(world, step, ARGS.probe_seconds, f"probe{step}")
                probes.append(probe)
                print(json.dumps({k: probe[k] for k in (
                    "concurrency", "requests_per_s", "creations_per_s",
                    "creations_per_s_single", "creations_per_s_bulk", "reads_per_s",
                    "error_rate", "p95_ms", "p99_ms", "load_average_after")}), flush=True)
            concurrency = main_concurrency(probes)
        print(f"main run: {concurrency} clients for {ARGS.duration:.0f} s", flush=True)
        cpu_before = cpu_snapshot()
        main_run = run(world, concurrency, ARGS.duration, "main")
        main_run["cpu"] = cpu_used(cpu_before, cpu_snapshot(), main_run["requests"],
                                   main_run["seconds"])
        summary = {"load_average_before": load_before, "cpus": os.cpu_count(),
                   "gunicorn": f"{ARGS.workers} workers x {ARGS.threads} threads (gthread)",
                   "celery_worker": not ARGS.no_worker,
                   "mix": dict(zip(KINDS, [int(w) for w in ARGS.mix.split(",")], strict=True)),
                   "bulk_size": ARGS.bulk_size,
                   "probes": probes, "main": main_run, "lead_states_after": routing_backlog()}
        if not ARGS.no_worker:
            summary["routing_drained_after_s"] = routing_drain()
    finally:
        stop_children()
    text = json.dumps(summary, indent=2)
    print(text)
    if ARGS.out:
        Path(ARGS.out).write_text(text)
    return 0 if main_run["error_rate"] < 0.001 else 1


if __name__ == "__main__":
    sys.exit(main())

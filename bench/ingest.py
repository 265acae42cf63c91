"""Ingestion benchmark: leads/s through POST /api/v1/leads/bulk/ and the CSV import, and
single POST /api/v1/leads/ req/s + latency at 8 concurrent connections, on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/leadrouter \\
    REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python bench/ingest.py [--leads 10000]

Routing is excluded, as the issue asks: by default the ingestion does not even enqueue the
routing tasks (setting LEADS_ROUTE_ON_INGEST = False, put in place by a throw-away settings
module this script writes). With --enqueue-routing the tasks are sent (one per new lead)
but no worker runs, so they only land in the broker (use a spare Redis db, e.g. 15; the
script purges that queue at the end) — this measures the cost of enqueueing too.
The API runs under gunicorn (started by the script, DEBUG off, persistent DB connections).
The CSV import runs the import task body in this process, as a worker would.
Every run creates its own tenant (slug `bench-<time>`) so numbers are not skewed by
duplicates; delete those tenants afterwards if the database is shared.
"""

import argparse
import csv
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadrouter.settings")
os.environ.setdefault("DEBUG", "1")
# The per-key rate limit (600/minute by default) would answer 429 to a benchmark.
os.environ.setdefault("API_RATE_LIMIT", "")

PORT = int(os.environ.get("BENCH_PORT", "8765"))
CITIES = [("80331", "München"), ("10115", "Berlin"), ("20095", "Hamburg"), ("50667", "Köln"),
          ("1010", "Wien"), ("8001", "Zürich"), ("70173", "Stuttgart"), ("99999", "Nirgendwo")]


def lead(i: int, run: str) -> dict:
    postal_code, city = CITIES[i % len(CITIES)]
    country = "AT" if city == "Wien" else "CH" if city == "Zürich" else "DE"
    return {"external_id": f"{run}-{i}", "company_name": f"Firma {i} GmbH", "country": country,
            "postal_code": postal_code, "city": city, "deal_value": str(5000 + i % 90000),
            "employees": 5 + i % 500, "source": "bench", "campaign": "q4",
            "contact_name": f"Kontakt {i}", "contact_email": f"kontakt{i}@firma{i}.example",
            "contact_phone": "+49 89 1234567"}


def setup_tenant() -> tuple[int, str]:
    import django

    django.setup()
    from leadrouter.tenancy.api_keys import api_key_create
    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope

    tenant = Tenant.objects.create(slug=f"bench-{int(time.time())}", name="Ingest benchmark")
    with tenant_scope(tenant):
        issued = api_key_create(tenant=tenant, name="bench")
    return tenant.pk, issued.plain_key


def settings_without_routing() -> dict:
    """Environment for a settings module = the product's + LEADS_ROUTE_ON_INGEST = False."""
    folder = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    (folder / "bench_ingest_settings.py").write_text(
        "from leadrouter.settings import *  # noqa: F403\nLEADS_ROUTE_ON_INGEST = False\n")
    return {"DJANGO_SETTINGS_MODULE": "bench_ingest_settings",
            "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}"}


def start_gunicorn(workers: int, extra_env: dict) -> subprocess.Popen:
    env = {**os.environ, **extra_env, "DEBUG": "0",
           "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
           "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "600",
           "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "leadrouter.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--log-level", "warning"],
        cwd=ROOT, env=env)
    for _ in range(100):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=1)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return process
        except OSError:
            time.sleep(0.1)
    process.terminate()
    raise SystemExit("gunicorn did not start")


def post(path: str, key: str, body, headers: dict | None = None) -> tuple[int, dict, float]:
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
    started = time.perf_counter()
    conn.request("POST", path, json.dumps(body), {
        "Authorization": f"Bearer {key}", "Content-Type": "application/json",
        **(headers or {})})
    response = conn.getresponse()
    data = json.loads(response.read() or b"{}")
    elapsed = time.perf_counter() - started
    conn.close()
    return response.status, data, elapsed


def bench_bulk(key: str, total: int, run: str) -> float:
    started = time.perf_counter()
    for offset in range(0, total, 1000):
        items = [lead(i, run) for i in range(offset, min(offset + 1000, total))]
        status, data, _ = post("/api/v1/leads/bulk/", key, {"leads": items})
        assert status == 200, data
        assert all(r["status"] == "created" for r in data["results"]), data["results"][:3]
    return total / (time.perf_counter() - started)


def bench_single(key: str, seconds: float, concurrency: int, run: str) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(n: int) -> None:
        i = 0
        while time.perf_counter() < stop:
            status, _, elapsed = post("/api/v1/leads/", key, lead(i, f"{run}-s{n}"))
            i += 1
            with lock:
                (latencies if status == 201 else errors).append(
                    elapsed if status == 201 else status)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    latencies.sort()
    return {"requests": len(latencies), "errors": len(errors), "rps": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))]}


def bench_csv(tenant_id: int, total: int, run: str) -> tuple[float, float]:
    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from leads.csv_import import import_job_create, import_job_run, mapping_guess
    from leads.models import ImportJob, ImportStatus

    buffer = io.StringIO()
    fields = list(lead(0, run))
    writer = csv.DictWriter(buffer, fieldnames=fields)
    writer.writeheader()
    for i in range(total):
        writer.writerow(lead(i, run))
    tenant = Tenant.objects.get(pk=tenant_id)
    with tenant_scope(tenant):
        job = import_job_create(tenant=tenant, actor="bench", filename="bench.csv",
                                raw=buffer.getvalue().encode())
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.QUEUED,
                                                   mapping=mapping_guess(job.headers))
        started = time.perf_counter()
        import_job_run(job_id=job.pk)
        elapsed = time.perf_counter() - started
        job.refresh_from_db()
        assert job.status == ImportStatus.DONE and job.created_count == total, \
            (job.status, job.failure, job.errors[:3])
    return total / elapsed, elapsed


def purge_broker() -> None:
    from leadrouter.celery import app

    with app.connection_for_write() as conn:
        purged = app.control.purge(connection=conn) if hasattr(app.control, "purge") else 0
    print(f"(purged {purged} routing messages from the broker)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--enqueue-routing", action="store_true",
                        help="send the routing tasks to the broker (no worker consumes them)")
    args = parser.parse_args()
    if "postgres" not in os.environ.get("DATABASE_URL", ""):
        raise SystemExit("Set DATABASE_URL to a PostgreSQL database (see the docstring).")

    tenant_id, key = setup_tenant()
    from django.conf import settings

    settings.LEADS_ROUTE_ON_INGEST = args.enqueue_routing
    extra_env = {} if args.enqueue_routing else settings_without_routing()
    print(f"routing tasks enqueued: {'yes' if args.enqueue_routing else 'no'}; "
          f"gunicorn workers: {args.workers}")
    run = f"r{int(time.time())}"
    server = start_gunicorn(args.workers, extra_env)
    try:
        # Warm up workers (imports, DB connections, geocoder data).
        for i in range(4 * args.workers):
            post("/api/v1/leads/", key, lead(i, f"{run}-warm"))
        bulk = bench_bulk(key, args.leads, f"{run}-bulk")
        print(f"bulk API: {args.leads} leads, {bulk:,.0f} leads/s")
        single = bench_single(key, args.seconds, args.concurrency, run)
        print(f"single POST, {args.concurrency} connections, {args.seconds:.0f} s: "
              f"{single['rps']:,.0f} req/s, p50 {single['p50_ms']:.1f} ms, "
              f"p99 {single['p99_ms']:.1f} ms ({single['requests']} ok, "
              f"{single['errors']} errors)")
    finally:
        server.terminate()
        server.wait()
    rate, elapsed = bench_csv(tenant_id, args.leads, f"{run}-csv")
    print(f"CSV import: {args.leads} rows in {elapsed:.1f} s, {rate:,.0f} leads/s")
    if args.enqueue_routing:
        purge_broker()


if __name__ == "__main__":
    main()

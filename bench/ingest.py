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
import resource
import socket
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
# The production web command (Procfile, docker-compose.yml, docs/operations.md).
WORKERS, THREADS = 2, 4
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


def start_gunicorn(workers: int, threads: int, extra_env: dict) -> subprocess.Popen:
    env = {**os.environ, **extra_env, "DEBUG": "0",
           "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
           "SECURE_SSL_REDIRECT": "0", "ALLOWED_HOSTS": "127.0.0.1", "CONN_MAX_AGE": "600",
           "LOG_LEVEL": "WARNING"}
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "leadrouter.wsgi", "--bind", f"127.0.0.1:{PORT}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"],
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


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _server_pids(server: subprocess.Popen) -> dict[str, list[int]]:
    """gunicorn's master and workers, and the PostgreSQL backends serving them."""
    workers = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                workers.append(int(stat.parent.name))
        except (OSError, ValueError):
            continue
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                       "AND pid <> pg_backend_pid()")
        backends = [pid for (pid,) in cursor.fetchall()]
    return {"gunicorn": [server.pid, *workers], "postgres": backends}


def round_trips_per_create(key: str, run: str) -> tuple[list[str], int]:
    """The SQL statements and Redis commands of one create, in this process through the
    whole middleware stack (the key already cached by the warm-up, as under load)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from redis import Redis

    commands = []
    real = Redis.execute_command

    def counted(self, *args, **options):
        commands.append(args[0])
        return real(self, *args, **options)

    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}")
    Redis.execute_command = counted
    try:
        with CaptureQueriesContext(connection) as captured:
            response = client.post("/api/v1/leads/", lead(0, f"{run}-count"),
                                   content_type="application/json")
    finally:
        Redis.execute_command = real
    assert response.status_code == 201, response.content
    return [query["sql"] for query in captured.captured_queries], len(commands)


class _Connection:
    """A minimal HTTP/1.1 client for the load generator: it shares the 2 cores with the
    server, so it must cost little. The request bytes are built by hand, the response is
    read by Content-Length, and the connection is kept while the server keeps it (a
    gthread worker does; a sync worker closes after every response)."""

    def __init__(self) -> None:
        self.sock: socket.socket | None = None

    def _connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", PORT), timeout=60)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None

    def request(self, raw: bytes) -> int:
        reused = self.sock is not None
        if self.sock is None:
            self.sock = self._connect()
        try:
            self.sock.sendall(raw)
            status, keep = self._response()
        except (ConnectionError, _Closed):
            self.close()
            if not reused:
                raise
            # The server closed the kept connection before reading this request: resend.
            return self.request(raw)
        if not keep:
            self.close()
        return status

    def _response(self) -> tuple[int, bool]:
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise _Closed
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {k.strip().lower(): v.strip()
                   for k, _, v in (line.partition(":") for line in lines[1:])}
        length = int(headers.get("content-length", "0"))
        while len(body) < length:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise _Closed
            body += chunk
        return status, headers.get("connection", "").lower() != "close"


class _Closed(Exception):
    pass


def _raw_post(path: str, key: str, body: dict) -> bytes:
    payload = json.dumps(body).encode()
    return (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{PORT}\r\n"
            f"Authorization: Bearer {key}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(payload)}\r\n\r\n").encode() + payload


def bench_single(key: str, seconds: float, concurrency: int, run: str) -> dict:
    latencies: list[float] = []
    errors: list[int] = []
    stop = time.perf_counter() + seconds
    lock = threading.Lock()

    def worker(n: int) -> None:
        connection = _Connection()
        i = 0
        while time.perf_counter() < stop:
            raw = _raw_post("/api/v1/leads/", key, lead(i, f"{run}-s{n}"))
            started = time.perf_counter()
            status = connection.request(raw)
            elapsed = time.perf_counter() - started
            i += 1
            with lock:
                (latencies if status == 201 else errors).append(
                    elapsed if status == 201 else status)
        connection.close()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime
                                                               - cpu_before.ru_stime)
    latencies.sort()
    done = max(1, len(latencies) + len(errors))
    return {"requests": len(latencies), "errors": len(errors), "rps": len(latencies) / wall,
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[int(0.99 * (len(latencies) - 1))],
            "client_cpu_ms": 1000 * client_cpu / done}


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
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=THREADS,
                        help="threads per gunicorn worker (more than 1: the gthread worker)")
    parser.add_argument("--single-only", action="store_true",
                        help="measure only the single POST (skip bulk and CSV)")
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
          f"gunicorn: {args.workers} workers × {args.threads} threads")
    run = f"r{int(time.time())}"
    server = start_gunicorn(args.workers, args.threads, extra_env)
    try:
        # Warm up workers (imports, DB connections, geocoder data, the key cache).
        for i in range(8 * args.workers * args.threads):
            post("/api/v1/leads/", key, lead(i, f"{run}-warm"))
        if not args.single_only:
            bulk = bench_bulk(key, args.leads, f"{run}-bulk")
            print(f"bulk API: {args.leads} leads, {bulk:,.0f} leads/s")
        statements, redis_commands = round_trips_per_create(key, run)
        print(f"one create: {len(statements)} SQL statements "
              f"({', '.join(sql.split(' ', 1)[0] for sql in statements)}), "
              f"{redis_commands} Redis commands")
        load_before = os.getloadavg()[0]
        pids = _server_pids(server)
        cpu_before = {name: _cpu_seconds(group) for name, group in pids.items()}
        single = bench_single(key, args.seconds, args.concurrency, run)
        served = max(1, single["requests"] + single["errors"])
        cpu = {name: 1000 * (_cpu_seconds(group) - cpu_before[name]) / served
               for name, group in pids.items()}
        print(f"single POST, {args.concurrency} connections, {args.seconds:.0f} s: "
              f"{single['rps']:,.0f} req/s, p50 {single['p50_ms']:.1f} ms, "
              f"p99 {single['p99_ms']:.1f} ms ({single['requests']} ok, "
              f"{single['errors']} errors); load average {load_before:.2f} before, "
              f"{os.getloadavg()[0]:.2f} after")
        total = cpu["gunicorn"] + cpu["postgres"] + single["client_cpu_ms"]
        print(f"  CPU per request: gunicorn {cpu['gunicorn']:.2f} ms + PostgreSQL "
              f"{cpu['postgres']:.2f} ms + load generator {single['client_cpu_ms']:.2f} ms "
              f"= {total:.2f} ms, i.e. at most {2000 / total:,.0f} req/s on 2 idle cores")
    finally:
        server.terminate()
        server.wait()
    if args.single_only:
        return
    rate, elapsed = bench_csv(tenant_id, args.leads, f"{run}-csv")
    print(f"CSV import: {args.leads} rows in {elapsed:.1f} s, {rate:,.0f} leads/s")
    if args.enqueue_routing:
        purge_broker()


if __name__ == "__main__":
    main()

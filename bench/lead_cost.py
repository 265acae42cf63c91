"""What one lead costs the workers through the closed loop: SQL statements by the product
function that issues them, and CPU per lead.

Each lead goes through the real services, as the API and the workers run them: ingestion
(`lead_ingest`; its routing task runs eagerly on commit: engine, dispatch, offers), the
partner's `offer_accept` (the threshold-rule task after commit), then `outcome_record` won
or lost (rules again). Two passes over fresh leads of one tenant: one counts statements
(CaptureQueriesContext for the total, an execute wrapper that walks the stack for the
function), one measures CPU (`time.process_time`, no wrapper, no capture).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lr_cost REDIS_URL=redis://127.0.0.1:6379/14 \\
        .venv/bin/python bench/lead_cost.py [--leads 200] [--partners 300] [--json out.json]

Every run creates its own tenant (slug `cost-<time>`); use a database of its own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from collections import Counter, deque
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# The product's own code, where a statement is attributed (innermost frame first).
PRODUCT_DIRS = tuple(str(ROOT / name) + os.sep for name in ("feedback", "matching", "leads"))
OTHER_DIRS = tuple(str(ROOT / name) + os.sep for name in ("partners", "leadrouter"))
SCOPING = str(ROOT / "leadrouter" / "tenancy" / "scoping.py")
BENCH_DIR, BENCH = str(ROOT / "bench") + os.sep, "(the bench's own reads)"
INDUSTRIES = ["C10", "C20", "C25", "C28", "F41", "G46", "J62", "M71"]
CITIES = [("80", "80331"), ("10", "10115"), ("20", "20095"), ("50", "50667")]
ACTOR = "lead-cost-bench"


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "leadrouter.settings")
    os.environ["DEBUG"] = "0"  # as in production (DEBUG records every statement)
    os.environ.setdefault("SECRET_KEY", "lead-cost-bench-only-secret-key-" + "x" * 40)
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "1"  # the tasks' code, in this process
    os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.dummy.EmailBackend"
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)


def tenant_setup(partners: int):
    from leadrouter.tenancy.models import Tenant
    from leadrouter.tenancy.scoping import tenant_scope
    from matching.models import Webhook
    from matching.policy import policy_current
    from partners.models import Partner, PartnerIndustry, PartnerTerritory, TaxonomyTerm, TermKind

    tenant = Tenant.objects.create(slug=f"cost-{time.time_ns()}", name="Lead cost bench")
    rng = random.Random(7)
    with tenant_scope(tenant):
        terms = TaxonomyTerm.objects.bulk_create([
            TaxonomyTerm(tenant=tenant, kind=TermKind.INDUSTRY, code=code, name=code)
            for code in INDUSTRIES])
        policy_current(tenant=tenant)
        rows = Partner.objects.bulk_create([
            Partner(tenant=tenant, external_id=f"P{i}", name=f"Partner {i}", country="DE",
                    capacity=10_000, deal_value_min=0, deal_value_max=10_000_000,
                    employees=rng.randint(1, 500)) for i in range(partners)])
        PartnerTerritory.objects.bulk_create([
            PartnerTerritory(tenant=tenant, partner=p, country="DE",
                             postal_prefixes=[CITIES[i % len(CITIES)][0]])
            for i, p in enumerate(rows)])
        PartnerIndustry.objects.bulk_create([
            PartnerIndustry(tenant=tenant, partner=p, term=terms[(i + k) % len(terms)])
            for i, p in enumerate(rows) for k in range(3)])
        # A subscriber to an event the loop does not emit: every emit still looks it up.
        Webhook.objects.create(tenant=tenant, url="https://hooks.example/in", secret="s",
                               events=["lead.unrouted"])
    return tenant


def one_lead(tenant, i: int, rng: random.Random) -> None:
    """ingest (→ route, offers) → accept → won or lost."""
    from feedback.services import outcome_record
    from leads.services import lead_ingest
    from matching.models import Offer, OfferStatus
    from matching.offers import offer_accept

    prefix, postal = CITIES[i % len(CITIES)]
    lead, _ = lead_ingest(tenant=tenant, actor=ACTOR, channel="api", data={
        "external_id": f"COST-{i}", "company_name": f"Kunde {i}",
        "industry": INDUSTRIES[i % len(INDUSTRIES)], "employees": rng.randint(5, 500),
        "country": "DE", "postal_code": postal, "deal_value": "25000.00"})
    offer = (Offer.objects.filter(lead_id=lead.pk, status=OfferStatus.PENDING)
             .values_list("pk", "partner_id").first())
    if offer is None:
        return
    offer_accept(offer_id=offer[0], partner_id=offer[1], actor=ACTOR)
    won = rng.random() < 0.3
    outcome_record(lead_id=lead.pk, partner_id=offer[1], actor=ACTOR,
                   status="won" if won else "lost",
                   value=Decimal("25000.00") if won else None,
                   reason="" if won else "price")


def _caller() -> str:
    """The innermost frame in feedback/, matching/ or leads/ (else partners/, leadrouter/)
    below the execute wrapper."""
    fallback = None
    frame = sys._getframe(2)  # the wrapper's caller: Django's cursor
    while frame is not None:
        name = frame.f_code.co_filename
        if name == SCOPING:  # a task's tenant scope opening or closing: its own line
            return _label(frame)
        if name.startswith(PRODUCT_DIRS):
            return _label(frame)
        if name.startswith(BENCH_DIR):
            return fallback or BENCH
        if fallback is None and name.startswith(OTHER_DIRS):
            fallback = _label(frame)
        frame = frame.f_back
    return fallback or "(elsewhere)"


def _label(frame) -> str:
    path = os.path.relpath(frame.f_code.co_filename, ROOT)
    return f"{path.removesuffix('.py').replace(os.sep, '.')}.{frame.f_code.co_name}"


def count_pass(tenant, n: int, start: int) -> tuple[int, Counter]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from leadrouter.tenancy.scoping import tenant_scope

    by_caller: Counter = Counter()

    def wrapper(execute, sql, params, many, context):
        by_caller[_caller()] += 1
        return execute(sql, params, many, context)

    rng = random.Random(start)
    # Django keeps the last 9,000 statements only: room for every one of this pass.
    connection.queries_log = deque(maxlen=max(connection.queries_limit, 200 * n))
    with tenant_scope(tenant), CaptureQueriesContext(connection) as captured, \
            connection.execute_wrapper(wrapper):
        for i in range(start, start + n):
            one_lead(tenant, i, rng)
    bench_reads = by_caller.pop(BENCH, 0)  # which offer to accept: not the product's
    # BEGIN / COMMIT are logged by Django's connection, not executed through the wrapper.
    control = len(captured.captured_queries) - sum(by_caller.values()) - bench_reads
    by_caller["(transaction control: BEGIN, COMMIT)"] = control
    return len(captured.captured_queries) - bench_reads, by_caller


def cpu_pass(tenant, n: int, start: int) -> float:
    from leadrouter.tenancy.scoping import tenant_scope

    rng = random.Random(start)
    with tenant_scope(tenant):
        began = time.process_time()
        for i in range(start, start + n):
            one_lead(tenant, i, rng)
        return time.process_time() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--leads", type=int, default=200, help="leads per pass")
    parser.add_argument("--partners", type=int, default=300)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    django_setup()
    tenant = tenant_setup(args.partners)
    cpu_pass(tenant, args.warmup, 0)  # caches, partner table, first rows of the statistics
    total, by_caller = count_pass(tenant, args.leads, args.warmup)
    cpu = cpu_pass(tenant, args.leads, args.warmup + args.leads)
    n = args.leads
    load = os.getloadavg()
    print(f"{n} leads, {args.partners} partners, load {load[0]:.1f} {load[1]:.1f}")
    print(f"statements per lead: {total / n:.1f}   CPU per lead: {cpu / n * 1000:.1f} ms")
    print(f"{'statements/lead':>16}  calling function")
    for caller, count in by_caller.most_common():
        print(f"{count / n:16.2f}  {caller}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "leads": n, "partners": args.partners, "load": load[:2],
            "statements_per_lead": total / n, "cpu_ms_per_lead": cpu / n * 1000,
            "by_caller": {k: v / n for k, v in by_caller.most_common()}}, indent=1))


if __name__ == "__main__":
    main()

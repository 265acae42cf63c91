"""What-if replay: the last N routed leads through a draft policy, before it is saved.

Each lead is ranked again, with its recorded profile and today's partner table and learned
statistics, under the current policy and under the draft — both greedy, without an
exploration draw, so the difference is the settings' alone. Reported: how many leads would
go to a different partner (than under the current policy, and than recorded), the lead
share per tier and per partner before and after, who gains and loses most, and the expected
conversions Σ p̂(accept)·p̂(win) of the first choices under the learned rates with a 95 %
interval from the posteriors (paired draws, so the difference has an interval too).

Read-only: nothing but the WhatIfRun row (progress, result) is written.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

import numpy as np
from celery import shared_task
from django.db import transaction
from django.utils import timezone

from leadrouter.tenancy.audit import actor_label, audit_record
from leadrouter.tenancy.models import Tenant
from leadrouter.tenancy.tasks_base import TenantTask
from leads.models import Lead
from matching.engine import rank_lead
from matching.engine.performance import partner_performance, segment_rates
from matching.models import RoutingDecision, RoutingPolicy, WhatIfRun, WhatIfStatus
from matching.partner_table import partner_table_get
from matching.policy import policy_draft, policy_params, policy_validate
from matching.routing import lead_profile

DEFAULT_LEADS = 500
MAX_LEADS = 5000
DRAWS = 400
TOP_MOVERS = 5
PROGRESS_EVERY = 50


def _greedy(policy: RoutingPolicy):
    return replace(policy_params(policy), exploration="greedy", exploration_rate=0.0,
                   keep_top=1)


def whatif_replay(*, tenant_id: int, base: RoutingPolicy, draft: RoutingPolicy,
                  lead_count: int = DEFAULT_LEADS, now: datetime | None = None, seed: int = 0,
                  progress: Callable[[int], None] | None = None) -> dict:
    """Replay the last `lead_count` routed leads under `base` and `draft` (see the module
    docstring). Runs in the tenant's scope; returns a JSON-able result."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    leads = list(Lead.objects.filter(routed_at__isnull=False)
                 .order_by("-routed_at", "-id")[:lead_count])
    recorded: dict[int, int | None] = {}
    for lead_id, chosen in (RoutingDecision.objects.filter(lead_id__in=[le.pk for le in leads])
                            .order_by("lead_id", "created_at", "id")
                            .values_list("lead_id", "chosen")):
        recorded.setdefault(lead_id, chosen[0] if chosen else None)  # the first decision
    table = partner_table_get(tenant_id)
    params = {"current": _greedy(base), "draft": _greedy(draft)}
    learned = replace(params["draft"], use_performance=True)
    performance = partner_performance(table, learned, day.toordinal())
    first: dict[str, list[int | None]] = {"current": [], "draft": []}
    keys: dict[tuple[str, int], int] = {}  # (segment, partner index) → column
    columns: dict[str, list[int]] = {"current": [], "draft": []}
    for n, lead in enumerate(leads, start=1):
        profile = lead_profile(lead, excluded_partner_ids=[])
        for name, p in params.items():
            ranking = rank_lead(table, profile, p, seed=seed, today=day)
            pid = ranking.order[0] if ranking.order else None
            first[name].append(pid)
            if pid is not None:
                key = (profile.segment, table.index_of[pid])
                columns[name].append(keys.setdefault(key, len(keys)))
        if progress is not None and (n % PROGRESS_EVERY == 0 or n == len(leads)):
            progress(int(100 * n / max(len(leads), 1)))

    # Posterior draws of p(accept)·p(win) per (segment, partner), shared by both policies.
    rng = np.random.default_rng(seed)
    conversion = np.zeros((DRAWS, len(keys)))
    means = np.zeros(len(keys))
    by_segment: dict[str, list[tuple[int, int]]] = {}
    for (segment, i), column in keys.items():
        by_segment.setdefault(segment, []).append((i, column))
    for segment, items in by_segment.items():
        accept, win = segment_rates(table, learned, day.toordinal(), segment)
        idx = np.array([i for i, _ in items])
        cols = np.array([c for _, c in items])
        conversion[:, cols] = (rng.beta(accept.alpha[idx], accept.beta[idx], (DRAWS, len(idx)))
                               * rng.beta(win.alpha[idx], win.beta[idx], (DRAWS, len(idx))))
        means[cols] = accept.mean[idx] * win.mean[idx]
    totals = {}
    for name in ("current", "draft"):
        counts = np.bincount(np.array(columns[name], dtype=np.int64), minlength=len(keys))
        totals[name] = (float(means @ counts), conversion @ counts)

    def interval(mean: float, draws: np.ndarray) -> dict:
        low, high = (np.percentile(draws, [2.5, 97.5]) if len(draws) else (0.0, 0.0))
        return {"mean": round(mean, 3), "low": round(float(low), 3),
                "high": round(float(high), 3)}

    expected = {name: interval(*totals[name]) for name in totals}
    expected["difference"] = interval(totals["draft"][0] - totals["current"][0],
                                      totals["draft"][1] - totals["current"][1])

    count = {name: Counter(pid for pid in first[name] if pid is not None) for name in first}
    total = len(leads) or 1
    tier_of = {int(pid): str(performance.tier[i]) for i, pid in enumerate(table.ids)}
    tiers = []
    for tier in ("high", "moderate", "weak", "new"):
        now_share = sum(c for pid, c in count["current"].items() if tier_of[pid] == tier)
        new_share = sum(c for pid, c in count["draft"].items() if tier_of[pid] == tier)
        tiers.append({"tier": tier, "current": round(now_share / total, 4),
                      "draft": round(new_share / total, 4),
                      "shift": round((new_share - now_share) / total, 4)})
    partners = []
    for pid in set(count["current"]) | set(count["draft"]):
        before, after = count["current"][pid], count["draft"][pid]
        partners.append({"partner": pid, "name": table.names[table.index_of[pid]],
                         "tier": tier_of[pid], "current": before, "draft": after,
                         "delta": after - before,
                         "current_share": round(before / total, 4),
                         "draft_share": round(after / total, 4)})
    partners.sort(key=lambda row: (-row["delta"], row["partner"]))
    gainers = [row for row in partners if row["delta"] > 0][:TOP_MOVERS]
    losers = [row for row in reversed(partners) if row["delta"] < 0][:TOP_MOVERS]
    return {
        "leads": len(leads),
        "changed": sum(a != b for a, b in zip(first["current"], first["draft"], strict=True)),
        "changed_vs_recorded": sum(recorded.get(lead.pk) != pid
                                   for lead, pid in zip(leads, first["draft"], strict=True)),
        "unrouted": {name: sum(pid is None for pid in first[name]) for name in first},
        "expected": expected,
        "tiers": tiers,
        "gainers": gainers,
        "losers": losers,
        "partners_affected": sum(row["delta"] != 0 for row in partners),
        "as_of": now.isoformat(),
    }


# --- The run: a row, a task, progress --------------------------------------------------------

def whatif_start(*, tenant: Tenant, actor, base: RoutingPolicy, changes: dict,
                 lead_count: int = DEFAULT_LEADS) -> WhatIfRun:
    """Record a what-if run of `changes` against `base` and enqueue it after the commit.
    Raises DomainError for invalid changes (nothing recorded)."""
    policy_validate(changes)
    with transaction.atomic():
        run = WhatIfRun.objects.create(
            tenant=tenant, base=base, changes=_jsonable(changes),
            lead_count=max(1, min(int(lead_count), MAX_LEADS)),
            created_by=actor_label(actor))
        audit_record(tenant=tenant, actor=actor, action="routing_policy.whatif", target=run,
                     data={"base_version": base.version, "leads": run.lead_count})
        whatif_run_task.delay_on_commit(tenant.pk, run.pk)
    return run


def whatif_execute(*, run_id: int) -> WhatIfRun:
    """Run a recorded what-if (idempotent: a finished run is left as it is)."""
    run = WhatIfRun.objects.select_related("base").get(pk=run_id)
    if run.status == WhatIfStatus.DONE:
        return run
    WhatIfRun.objects.filter(pk=run.pk).update(status=WhatIfStatus.RUNNING, progress=0)

    def progress(percent: int) -> None:
        WhatIfRun.objects.filter(pk=run.pk).update(progress=min(percent, 99))

    try:
        draft = policy_draft(base=run.base, changes=run.changes)
        result = whatif_replay(tenant_id=run.tenant_id, base=run.base, draft=draft,
                               lead_count=run.lead_count, progress=progress)
    except Exception as exc:
        WhatIfRun.objects.filter(pk=run.pk).update(
            status=WhatIfStatus.FAILED, failure=str(exc)[:2000], finished_at=timezone.now())
        raise
    WhatIfRun.objects.filter(pk=run.pk).update(
        status=WhatIfStatus.DONE, progress=100, result=result, finished_at=timezone.now())
    run.refresh_from_db()
    return run


@shared_task(base=TenantTask, name="matching.whatif_run")
def whatif_run_task(tenant_id: int, run_id: int) -> None:
    whatif_execute(run_id=run_id)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return value

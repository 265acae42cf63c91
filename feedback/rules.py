"""Threshold rules: automatic, logged, reversible actions on partners.

Evaluated after every recompute (all partners) and after events (that event's partner).
Each rule is switched on or off in the tenant's feedback settings:

- tier:  the routing tier follows the computed tier (promote / demote);
- pause: a partner that let `pause_after_expiries` offers in a row expire is paused and told
         why by e-mail;
- alert: the managers get an e-mail when a partner's accept rate or conversion (sliding
         window) drops below the bound;
- boost: a partner whose median time to close is short gets a score multiplier.

A rule fires at most once per (partner, rule, key) while its action is open; the action ends
when the condition no longer holds. A manager's reversal keeps the action open, so the rule
does not undo the manager until the situation changes (a new computed tier, a new expiry).
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from feedback.models import (
    OVERALL,
    TIER_ORDER,
    PartnerStats,
    PartnerTier,
    Rule,
    RuleAction,
    StatsPeriod,
    TenantFeedbackSettings,
    Tier,
)
from feedback.tenant_settings import feedback_settings_get
from feedback.tiers import tier_set
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.audit import actor_label, audit_record
from leadrouter.tenancy.language import language_for_recipient
from leadrouter.tenancy.models import Membership, Role, Tenant
from partners.models import Partner, PartnerStatus


def _pct(value: float) -> str:
    return f"{value * 100:.1f} %"


def _tier_states(tenant_id: int, partner_ids: list[int]) -> dict[int, PartnerTier]:
    states = {t.partner_id: t for t in
              PartnerTier.objects.select_for_update().filter(partner_id__in=partner_ids)}
    missing = [pid for pid in partner_ids if pid not in states]
    if missing:
        PartnerTier.objects.bulk_create(
            [PartnerTier(tenant_id=tenant_id, partner_id=pid) for pid in missing],
            ignore_conflicts=True)
        states = {t.partner_id: t for t in
                  PartnerTier.objects.select_for_update().filter(partner_id__in=partner_ids)}
    return states


class _Run:
    """One evaluation: the state it read, and the actions it took."""

    def __init__(self, tenant_id: int, now: datetime):
        self.tenant_id = tenant_id
        self.now = now
        self.settings = feedback_settings_get(tenant=tenant_id)
        self.actions: list[RuleAction] = []
        self.mails: list[tuple[str, list[str], dict]] = []

    def fire(self, *, partner_id: int, rule: str, key: str, action: str, reason: str,
             data: dict) -> RuleAction:
        done = RuleAction.objects.create(tenant_id=self.tenant_id, partner_id=partner_id,
                                         rule=rule, key=key, action=action, reason=reason,
                                         data=data, created_at=self.now)
        audit_record(tenant=self.tenant_id, actor="system", action=f"rule.{rule}.{action}",
                     target=done, data={"partner": partner_id, "reason": reason, **data})
        self.actions.append(done)
        return done


def rules_evaluate(*, tenant_id: int, partner_ids: list[int] | None = None,
                   now: datetime | None = None) -> list[RuleAction]:
    """Evaluate every switched-on rule for the partners (all when None); returns the actions
    taken. Runs in the tenant's scope; e-mails go out after commit."""
    now = now or timezone.now()
    if partner_ids is not None and not _may_act(tenant_id, partner_ids):
        return []
    run = _Run(tenant_id, now)
    s = run.settings
    with transaction.atomic():
        partners = Partner.objects.exclude(status=PartnerStatus.OFFBOARDED)
        if partner_ids is not None:
            partners = partners.filter(pk__in=partner_ids)
        partners = {p.pk: p for p in partners}
        ids = list(partners)
        states = _tier_states(tenant_id, ids)
        stats = {(r.partner_id, r.period): r for r in
                 PartnerStats.objects.filter(partner_id__in=ids, segment=OVERALL)}
        open_actions = {(a.partner_id, a.rule): a for a in
                        RuleAction.objects.filter(partner_id__in=ids, ended_at__isnull=True)
                        .order_by("created_at", "id")}
        for pid, partner in partners.items():
            overall = stats.get((pid, StatsPeriod.ALL))
            window = stats.get((pid, StatsPeriod.WINDOW))
            state = states[pid]
            for rule, enabled, (key, applies) in _checks(partner, state, overall, window, s):
                current = open_actions.get((pid, rule))
                if _ends(current, key):
                    current.ended_at = now
                    current.save(update_fields=["ended_at"])
                    if rule == Rule.BOOST and current.reversed_at is None:
                        state.boost = 1.0
                        state.save(update_fields=["boost"])
                    current = None
                if not enabled or not applies or current is not None:
                    continue
                _act(run, rule, key, partner, state, overall, window)
        for kind, recipients, context in run.mails:
            transaction.on_commit(lambda k=kind, r=recipients, c=context: _mail(k, r, c))
    if run.actions:
        from matching.partner_table import partner_table_invalidate

        transaction.on_commit(lambda: partner_table_invalidate(tenant_id))
    return run.actions


def _may_act(tenant_id: int, partner_ids: list[int]) -> bool:
    """Whether evaluating these partners would do anything: start or end an action, or
    create a missing tier state or settings row. One statement without locks reads what
    the checks need (tier states, partners, overall statistics, settings, whether any
    action is open), the open actions a second one if there are any; most events change
    nothing, and `rules_evaluate` stops here. Else it re-reads under lock and acts."""
    ids = sorted({int(pid) for pid in partner_ids})
    if not ids:
        return False
    rows = _gate_rows(tenant_id, ids)
    if len(rows) < len(ids) or any(row[-1] is None for row in rows):
        return True  # a partner without a tier state (or unknown), or no settings row yet
    s = _settings_of(rows[0])
    partners = {}
    for row in rows:
        partner_id, status, tier, computed = row[:4]
        if status == PartnerStatus.OFFBOARDED:
            continue
        partners[partner_id] = (
            Partner(pk=partner_id, tenant_id=tenant_id, status=status),
            PartnerTier(tenant_id=tenant_id, partner_id=partner_id, tier=tier,
                        computed=computed),
            _stats_of(row[4:7], ("expiry_streak", "last_expired_event")),
            _stats_of(row[7:14], ("accepts", "rejects", "expiries", "won", "lost",
                                  "median_close_seconds")),
            row[14])
    with_open = [pid for pid, (*_rest, any_open) in partners.items() if any_open]
    open_actions = {(a.partner_id, a.rule): a for a in
                    RuleAction.objects.filter(partner_id__in=with_open, ended_at__isnull=True)
                    .order_by("created_at", "id")} if with_open else {}
    for pid, (partner, state, overall, window, _any_open) in partners.items():
        for rule, enabled, (key, applies) in _checks(partner, state, overall, window, s):
            current = open_actions.get((pid, rule))
            if _ends(current, key):
                return True  # an open action ends
            if enabled and applies and current is None:
                return True  # a rule fires
    return False


# The settings the checks read, in the order `_gate_rows` selects them (after the row's id).
_GATE_SETTINGS = ("rule_tier", "rule_pause", "pause_after_expiries", "rule_alert",
                  "alert_accept_rate_below", "alert_conversion_below", "alert_min_answered",
                  "rule_boost", "boost_close_days", "boost_min_won", "boost_factor",
                  "window_days")
_GATE_FLAGS = frozenset({"rule_tier", "rule_pause", "rule_alert", "rule_boost"})


def _gate_rows(tenant_id: int, ids: list[int]) -> list[tuple]:
    """Per partner with a tier state: id, status, tier, computed; the overall all-time
    statistics (id, expiry_streak, last_expired_event) and window ones (id, accepts,
    rejects, expiries, won, lost, median_close_seconds), NULL where missing; whether an
    action is open; the settings (NULL id when there is no row). Every table filtered on
    the tenant (row-level security filters as well)."""
    q = connection.ops.quote_name

    def table(model) -> str:
        return q(model._meta.db_table)

    stats = table(PartnerStats)
    settings_cols = ", ".join(f"s.{q(name)}" for name in _GATE_SETTINGS)
    sql = (
        "SELECT t.partner_id, p.status, t.tier, t.computed, "
        "a.id, a.expiry_streak, a.last_expired_event, "
        "w.id, w.accepts, w.rejects, w.expiries, w.won, w.lost, w.median_close_seconds, "
        f"EXISTS (SELECT 1 FROM {table(RuleAction)} r WHERE r.tenant_id = t.tenant_id "
        "AND r.partner_id = t.partner_id AND r.ended_at IS NULL), "
        f"{settings_cols}, s.id "
        f"FROM {table(PartnerTier)} t "
        f"JOIN {table(Partner)} p ON p.id = t.partner_id AND p.tenant_id = t.tenant_id "
        f"LEFT JOIN {stats} a ON a.tenant_id = t.tenant_id AND a.partner_id = t.partner_id "
        "AND a.segment = %s AND a.period = %s "
        f"LEFT JOIN {stats} w ON w.tenant_id = t.tenant_id AND w.partner_id = t.partner_id "
        "AND w.segment = %s AND w.period = %s "
        f"LEFT JOIN {table(TenantFeedbackSettings)} s ON s.tenant_id = t.tenant_id "
        f"WHERE t.tenant_id = %s AND t.partner_id IN ({', '.join(['%s'] * len(ids))})")
    params = [OVERALL, StatsPeriod.ALL.value, OVERALL, StatsPeriod.WINDOW.value,
              int(tenant_id), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _settings_of(row: tuple) -> TenantFeedbackSettings:
    values = dict(zip(_GATE_SETTINGS, row[15:15 + len(_GATE_SETTINGS)], strict=True))
    for name in _GATE_FLAGS:
        values[name] = bool(values[name])  # SQLite answers 0 / 1
    return TenantFeedbackSettings(**values)


def _stats_of(cells: tuple, names: tuple[str, ...]) -> PartnerStats | None:
    """An unsaved statistics row with the fields the checks read (None when missing)."""
    if cells[0] is None:
        return None
    return PartnerStats(**dict(zip(names, cells[1:], strict=True)))


def _ends(current: RuleAction | None, key: str | None) -> bool:
    """Whether an open action ends: its situation is over (key None) or another one holds."""
    return current is not None and (key is None or current.key != key)


def _checks(partner: Partner, state: PartnerTier, overall: PartnerStats | None,
            window: PartnerStats | None, s) -> list[tuple[str, bool, Check]]:
    """(rule, switched on, (key, applies)) of every rule for one partner."""
    return [
        (Rule.TIER, s.rule_tier, _tier_check(state)),
        (Rule.PAUSE, s.rule_pause, _pause_check(partner, overall, s)),
        (Rule.ALERT_ACCEPT, s.rule_alert, _accept_alert_check(window, s)),
        (Rule.ALERT_CONVERSION, s.rule_alert, _conversion_alert_check(window, s)),
        (Rule.BOOST, s.rule_boost, _boost_check(window, s)),
    ]


# --- Conditions: (key, applies). The key names the situation (an open action for the same
# key keeps the rule quiet); None ends any open action. `applies` says whether to act now.

Check = tuple[str | None, bool]


def _tier_check(state: PartnerTier) -> Check:
    return state.computed, state.computed != state.tier


def _pause_check(partner: Partner, overall: PartnerStats | None, s) -> Check:
    if overall is None or overall.expiry_streak < max(s.pause_after_expiries, 1):
        return None, False
    return str(overall.last_expired_event or ""), partner.status == PartnerStatus.ACTIVE


def _accept_alert_check(window: PartnerStats | None, s) -> Check:
    if window is None or window.answered < max(s.alert_min_answered, 1):
        return None, False
    below = window.accept_rate < s.alert_accept_rate_below
    return ("below" if below else None), below


def _conversion_alert_check(window: PartnerStats | None, s) -> Check:
    if window is None or window.closed < max(s.alert_min_answered, 1):
        return None, False
    below = window.conversion_closed < s.alert_conversion_below
    return ("below" if below else None), below


def _boost_check(window: PartnerStats | None, s) -> Check:
    if window is None or window.won < s.boost_min_won or window.median_close_seconds is None:
        return None, False
    fast = window.median_close_seconds <= s.boost_close_days * 86400
    return ("fast" if fast else None), fast


# --- Actions ------------------------------------------------------------------------------

def _act(run: _Run, rule: str, key: str, partner: Partner, state: PartnerTier,
         overall: PartnerStats | None, window: PartnerStats | None) -> None:
    s = run.settings
    pid = partner.pk
    if rule == Rule.TIER:
        before, after = state.tier, key
        up = TIER_ORDER[after] > TIER_ORDER[before] or (before == Tier.NEW and after != Tier.WEAK)
        reason = _("Posterior conversion %(posterior)s over %(closed)d closed leads: tier "
                   "%(before)s → %(after)s.") % {
            "posterior": _pct(state.posterior or 0.0), "closed": state.closed,
            "before": before, "after": after}
        run.fire(partner_id=pid, rule=rule, key=key, action="promote" if up else "demote",
                 reason=reason, data={"from": before, "to": after,
                                      "posterior": state.posterior})
        tier_set(tier_state=state, to_tier=after, source="rule", actor_label="system")
    elif rule == Rule.PAUSE:
        from partners.services import partner_pause

        reason = _("%(count)d offers in a row expired without an answer.") % {
            "count": overall.expiry_streak}
        run.fire(partner_id=pid, rule=rule, key=key, action="pause", reason=reason,
                 data={"expired_in_a_row": overall.expiry_streak})
        partner_pause(partner=partner, actor="system")
        if partner.notification_email:
            run.mails.append(("partner_paused", [partner.notification_email],
                              {"partner": partner, "reason": reason,
                               "count": overall.expiry_streak}))
    elif rule in (Rule.ALERT_ACCEPT, Rule.ALERT_CONVERSION):
        if rule == Rule.ALERT_ACCEPT:
            value, bound = window.accept_rate, s.alert_accept_rate_below
            metric = _("accept rate")
        else:
            value, bound = window.conversion_closed, s.alert_conversion_below
            metric = _("conversion")
        reason = _("%(partner)s: %(metric)s %(value)s in the last %(days)d days, below "
                   "%(bound)s.") % {"partner": partner.name, "metric": metric,
                                     "value": _pct(value), "days": s.window_days,
                                     "bound": _pct(bound)}
        run.fire(partner_id=pid, rule=rule, key=key, action="alert", reason=reason,
                 data={"value": value, "bound": bound})
        managers = [e for e in Membership.objects.filter(role__in=[Role.ADMIN, Role.MANAGER])
                    .values_list("user__email", flat=True) if e]
        run.mails.append(("manager_alert", managers, {"partner": partner, "reason": reason}))
    elif rule == Rule.BOOST:
        days = window.median_close_seconds / 86400
        reason = _("Median time to close %(days).1f days (at most %(limit)d): boosted "
                   "× %(factor)s.") % {"days": days, "limit": s.boost_close_days,
                                        "factor": s.boost_factor}
        run.fire(partner_id=pid, rule=rule, key=key, action="boost", reason=reason,
                 data={"median_close_days": round(days, 2), "factor": s.boost_factor})
        state.boost = s.boost_factor
        state.save(update_fields=["boost"])


def _mail(kind: str, recipients: list[str], context: dict) -> None:
    if not recipients:
        return
    # In the tenant's language.
    tenant = Tenant.objects.filter(pk=context["partner"].tenant_id).first()
    with translation.override(language_for_recipient(tenant=tenant)):
        subjects = {"partner_paused": _("Your lead offers are paused"),
                    "manager_alert": _("Partner performance alert")}
        body = render_to_string(f"feedback/email_{kind}.txt",
                                {**context, "site_url": settings.SITE_URL})
    send_mail(subjects[kind], body, settings.DEFAULT_FROM_EMAIL, recipients)


def rule_action_reverse(*, action_id: int, actor) -> RuleAction:
    """Undo an automatic action (a manager's button): the tier goes back, the partner is
    resumed, the boost removed, an alert dismissed. Logged as an audit event."""
    with transaction.atomic():
        action = RuleAction.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise DomainError(_("Action not found."), code="not_found", status_code=404)
        if not action.is_reversible:
            raise DomainError(_("This action was already reversed."), code="already_reversed",
                              status_code=409)
        state = _tier_states(action.tenant_id, [action.partner_id])[action.partner_id]
        if action.rule == Rule.TIER:
            tier_set(tier_state=state, to_tier=action.data.get("from", Tier.NEW),
                     source="manager", actor_label=actor_label(actor))
        elif action.rule == Rule.PAUSE:
            from partners.services import partner_resume

            partner = Partner.objects.get(pk=action.partner_id)
            if partner.status == PartnerStatus.PAUSED:
                partner_resume(partner=partner, actor=actor)
        elif action.rule == Rule.BOOST and action.ended_at is None:
            state.boost = 1.0
            state.save(update_fields=["boost"])
        action.reversed_at = timezone.now()
        action.reversed_by = actor_label(actor)
        action.save(update_fields=["reversed_at", "reversed_by"])
        audit_record(tenant=action.tenant_id, actor=actor, action=f"rule.{action.rule}.reversed",
                     target=action, data={"partner": action.partner_id,
                                          "action": action.action})
        tenant_id = action.tenant_id
        from matching.partner_table import partner_table_invalidate

        transaction.on_commit(lambda: partner_table_invalidate(tenant_id))
    return action

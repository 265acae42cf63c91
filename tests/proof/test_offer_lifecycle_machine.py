"""A hypothesis state machine over one lead's offers: random partners accept, reject, let
offers expire, hand the lead back and report outcomes, in any order.

Invariants after every step:
- at most one accepted offer per lead (any mode), at most one live (pending) offer per lead
  in cascade mode;
- contact data is visible to a partner ⇔ that partner's offer for the lead is accepted;
- the lead names an assigned partner exactly while an offer of that partner is accepted.

Examples: PROOF_MACHINE_EXAMPLES (500 in CI, 60 locally).
"""

import os
from datetime import timedelta

import pytest
from django.test.utils import override_settings
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from feedback.services import outcome_record
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead, LeadStatus
from matching.models import Offer, OfferStatus, RejectReason
from matching.offers import lead_withdraw, offer_accept, offer_reject, offers_expire_due
from matching.selectors import contact_visible_to
from tests.factories import TenantFactory, lead_create, partner_create
from tests.offer_helpers import dispatch_to

CI = bool(os.environ.get("CI"))
EXAMPLES = int(os.environ.get("PROOF_MACHINE_EXAMPLES", 500 if CI else 60))

OUTCOMES = ("contacted", "qualified", "proposal", "won", "lost", "returned")


def lifecycle_machine(tenant, partners):
    class OfferLifecycle(RuleBasedStateMachine):
        """One lead per example, routed to the partners in a drawn order."""

        @initialize(order=st.permutations(range(len(partners))),
                    mode=st.sampled_from(["cascade", "broadcast"]),
                    attempts=st.integers(min_value=1, max_value=3))
        def route(self, order, mode, attempts):
            self.scope = tenant_scope(tenant)
            self.scope.__enter__()
            self.mode = mode
            self.lead = lead_create(tenant)
            dispatch_to(tenant, self.lead, [partners[i] for i in order], mode=mode,
                        max_attempts=attempts, broadcast_count=2)

        def teardown(self):
            scope = getattr(self, "scope", None)
            if scope is None:
                return
            # Leave no pending offer behind for the next example's expiry sweep.
            lead = Lead.objects.get(pk=self.lead.pk)
            if lead.status not in (LeadStatus.WON, LeadStatus.LOST, LeadStatus.WITHDRAWN):
                lead_withdraw(lead_id=lead.pk, actor="machine")
            scope.__exit__(None, None, None)

        def _offer_of(self, partner):
            return (Offer.objects.filter(lead=self.lead, partner=partner)
                    .order_by("-offered_at", "-id").first())

        @rule(who=st.sampled_from(partners), whose=st.sampled_from(partners))
        def accept(self, who, whose):
            offer = self._offer_of(whose)
            if offer is None:
                return
            try:
                offer_accept(offer_id=offer.pk, partner_id=who.pk, actor="machine")
            except DomainError as exc:
                assert exc.code in ("offer_closed", "not_found"), exc.code
            else:
                assert who == whose

        @rule(who=st.sampled_from(partners), reason=st.sampled_from(RejectReason.values))
        def reject(self, who, reason):
            offer = self._offer_of(who)
            if offer is None:
                return
            try:
                offer_reject(offer_id=offer.pk, partner_id=who.pk, actor="machine",
                             reason=reason)
            except DomainError as exc:
                assert exc.code == "offer_closed", exc.code

        @rule()
        def expire(self):
            pending = Offer.objects.filter(lead=self.lead, status=OfferStatus.PENDING)
            latest = max((o.expires_at for o in pending), default=None)
            if latest is not None:
                offers_expire_due(now=latest + timedelta(seconds=1))

        @rule(who=st.sampled_from(partners), status=st.sampled_from(OUTCOMES),
              value=st.integers(min_value=0, max_value=10**6))
        def report(self, who, status, value):
            try:
                outcome_record(lead_id=self.lead.pk, partner_id=who.pk, actor="machine",
                               status=status, value=value,
                               reason="price" if status == "lost" else "",
                               closed_at=timezone.now())
            except DomainError as exc:
                assert exc.code in ("not_held", "invalid_transition"), exc.code

        @invariant()
        def offers_and_contact_visibility_agree(self):
            if not hasattr(self, "lead"):
                return
            lead = Lead.objects.get(pk=self.lead.pk)
            offers = list(Offer.objects.filter(lead=lead).values_list("partner_id", "status"))
            accepted_by = {p for p, status in offers if status == OfferStatus.ACCEPTED}
            live = [p for p, status in offers if status == OfferStatus.PENDING]
            assert len(accepted_by) <= 1, offers
            if self.mode == "cascade":
                assert len(live) <= 1, offers
            if accepted_by:
                assert not live, offers
            for partner in partners:
                visible = contact_visible_to(lead=lead, partner_id=partner.pk)
                assert visible == (partner.pk in accepted_by), \
                    (partner.pk, lead.status, lead.assigned_partner_id, offers)
            assert (lead.assigned_partner_id is not None) == bool(accepted_by), \
                (lead.status, lead.assigned_partner_id, offers)

    return OfferLifecycle


@pytest.mark.slow
def test_it_keeps_the_offer_invariants_under_any_sequence(db, monkeypatch):
    # Partner statistics follow from the same events and have their own tests
    # (tests/feedback); updating them on every step would triple this run's time.
    monkeypatch.setattr("feedback.stats.stats_apply_many", lambda **kwargs: None)
    with override_settings(CELERY_TASK_ALWAYS_EAGER=True):
        tenant = TenantFactory(slug="machine")
        partners = [partner_create(tenant, external_id=f"M-{i}", capacity=100_000)
                    for i in range(3)]
        run_state_machine_as_test(
            lifecycle_machine(tenant, partners),
            settings=settings(max_examples=EXAMPLES, stateful_step_count=8, deadline=None,
                              suppress_health_check=list(HealthCheck), database=None))

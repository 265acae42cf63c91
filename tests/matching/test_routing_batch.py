"""leads_route_batch: many leads of one tenant assigned jointly under capacities."""

from collections import Counter

from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.routing import leads_route_batch
from tests.factories import lead_create, partner_create


def test_it_assigns_a_batch_without_exceeding_capacities(tenant_a):
    big = partner_create(tenant_a, name="Big", capacity=3, level="platinum")
    small = partner_create(tenant_a, name="Small", capacity=2)
    leads = [lead_create(tenant_a, company_name=f"K{i}") for i in range(6)]
    with tenant_scope(tenant_a):
        decisions = leads_route_batch(leads=list(Lead.objects.filter(pk__in=[x.pk for x in leads])),
                                      seed=3)
    firsts = Counter(d.chosen[0] if d.chosen else None for d in decisions)
    assert firsts == {big.pk: 3, small.pk: 2, None: 1}
    assert all(d.pk for d in decisions)
    nobody = next(d for d in decisions if not d.chosen)
    assert nobody.eligible_count == 2 and nobody.candidates[0]["partner"] in (big.pk, small.pk)

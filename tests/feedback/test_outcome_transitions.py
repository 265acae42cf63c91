"""outcome_record refuses impossible transitions instead of overwriting."""

import pytest

from feedback.models import OutcomeEvent
from feedback.services import outcome_record
from leadrouter.api_errors import DomainError
from leadrouter.tenancy.scoping import tenant_scope
from tests.factories import lead_create


@pytest.fixture
def held_lead(tenant_a, partner_a1):
    return lead_create(tenant_a, status="accepted", assigned_partner=partner_a1)


def test_it_refuses_won_after_lost(tenant_a, partner_a1, held_lead):
    with tenant_scope(tenant_a):
        outcome_record(lead_id=held_lead.pk, partner_id=partner_a1.pk, actor="t",
                       status="lost", reason="price")
        with pytest.raises(DomainError) as error:
            outcome_record(lead_id=held_lead.pk, partner_id=partner_a1.pk, actor="t",
                           status="won", value=100)
        assert error.value.status_code == 409
        assert list(OutcomeEvent.objects.values_list("kind", flat=True)) == ["lost"]


def test_it_refuses_an_outcome_for_a_lead_the_partner_does_not_hold(tenant_a, partner_a2,
                                                                    held_lead):
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        outcome_record(lead_id=held_lead.pk, partner_id=partner_a2.pk, actor="t",
                       status="contacted")
    assert error.value.code == "not_held"


def test_it_requires_a_loss_reason(tenant_a, partner_a1, held_lead):
    with tenant_scope(tenant_a), pytest.raises(DomainError) as error:
        outcome_record(lead_id=held_lead.pk, partner_id=partner_a1.pk, actor="t",
                       status="lost")
    assert "reason" in error.value.fields


def test_it_refuses_an_unknown_status(tenant_a, partner_a1, held_lead):
    with tenant_scope(tenant_a), pytest.raises(DomainError):
        outcome_record(lead_id=held_lead.pk, partner_id=partner_a1.pk, actor="t",
                       status="offered")


def test_it_counts_a_won_outcome_in_the_statistics(tenant_a, partner_a1, held_lead):
    from feedback.models import PartnerStats

    with tenant_scope(tenant_a):
        outcome_record(lead_id=held_lead.pk, partner_id=partner_a1.pk, actor="t",
                       status="won", value=5000)
        row = PartnerStats.objects.get(partner=partner_a1, segment="", period="all")
    assert row.won == 1 and row.revenue == 5000

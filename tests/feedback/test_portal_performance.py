"""The partner's "My performance" page."""

from django.urls import reverse

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import RoutingDecision, RoutingPolicy
from tests.factories import lead_create

URL = reverse("feedback:portal-performance")


def test_it_shows_own_numbers_against_the_average(partner_client_a1, tenant_a, partner_a1,
                                                  partner_a2, make_history):
    make_history(tenant_a, partner_a1, ["offered accepted won"] * 3)
    make_history(tenant_a, partner_a2, ["offered rejected"] * 3)
    response = partner_client_a1.get(URL)
    assert response.status_code == 200
    assert "100.0 %" in response.text  # own accept rate
    assert "50.0 %" in response.text  # all partners: 3 of 6
    assert "15 %" in response.text and "5 %" in response.text  # thresholds in words
    assert "Beta Technik" not in response.text


def test_it_explains_recent_decisions_without_naming_others(partner_client_a1, tenant_a,
                                                            partner_a1, partner_a2):
    lead = lead_create(tenant_a, industry="C28", employees=30, city="Augsburg")
    with tenant_scope(tenant_a):
        policy = RoutingPolicy.objects.create(tenant=tenant_a, version=1)
        RoutingDecision.objects.create(
            tenant=tenant_a, lead=lead, policy=policy, seed=1, chosen=[partner_a2.pk],
            candidates=[{"partner": partner_a2.pk, "score": 0.9, "criteria": {"industry": 1}},
                        {"partner": partner_a1.pk, "score": 0.4,
                         "criteria": {"industry": 0.8, "distance": 0.1}}])
    response = partner_client_a1.get(URL)
    assert "you ranked 2 of 2" in response.text
    assert "weakest criterion: distance" in response.text
    assert "Beta Technik" not in response.text


def test_it_is_only_for_partner_users(client_a):
    assert client_a.get(URL).status_code == 404


def test_it_is_hidden_from_a_stranger(client_b):
    assert client_b.get(URL).status_code == 404


def test_it_pins_the_query_count(partner_client_a1, tenant_a, partner_a1, make_history,
                                 django_assert_num_queries):
    from django.db import connection

    make_history(tenant_a, partner_a1, ["offered accepted won"] * 2)
    partner_client_a1.get(URL)
    with django_assert_num_queries(12 + (4 if connection.vendor == "postgresql" else 0)):
        assert partner_client_a1.get(URL).status_code == 200

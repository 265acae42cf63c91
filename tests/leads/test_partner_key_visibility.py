from tests.factories import lead_create
from tests.leads.conftest import decision_create, offer_create


def test_it_shows_an_offered_lead_without_contact_data(partner_api_a1, tenant_a, partner_a1,
                                                       partner_a2):
    lead = lead_create(tenant_a, status="offered")
    offer_create(tenant_a, lead, partner_a1)
    offer_create(tenant_a, lead, partner_a2, rank=2)
    decision_create(tenant_a, lead, partner_a1)
    body = partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["company_name"] == "Kunde GmbH"
    assert (body["contact_name"], body["contact_email"], body["contact_phone"]) == \
        (None, None, None)
    assert [offer["partner"] for offer in body["offers"]] == [partner_a1.pk]
    assert body["decision"] is None


def test_it_shows_contact_data_once_the_partner_accepted(partner_api_a1, tenant_a, partner_a1):
    lead = lead_create(tenant_a, status="accepted", assigned_partner=partner_a1)
    body = partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["contact_email"] == "erika@kunde.example"
    assert body["contact_name"] == "Erika Mustermann"


def test_it_hides_contact_data_of_a_lead_another_partner_accepted(partner_api_a1, tenant_a,
                                                                  partner_a1, partner_a2):
    lead = lead_create(tenant_a, status="accepted", assigned_partner=partner_a2)
    offer_create(tenant_a, lead, partner_a1, status="rejected")
    body = partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").json()
    assert body["contact_email"] is None


def test_it_answers_404_for_a_lead_never_offered_to_the_partner(partner_api_a1, tenant_a,
                                                                partner_a2):
    lead = lead_create(tenant_a)
    offer_create(tenant_a, lead, partner_a2)
    assert partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").status_code == 404


def test_it_lists_only_the_partners_leads(partner_api_a1, tenant_a, partner_a1, partner_a2):
    mine = lead_create(tenant_a, company_name="Mine")
    offer_create(tenant_a, mine, partner_a1)
    assigned = lead_create(tenant_a, company_name="Assigned", assigned_partner=partner_a1,
                           status="accepted")
    other = lead_create(tenant_a, company_name="Other")
    offer_create(tenant_a, other, partner_a2)
    lead_create(tenant_a, company_name="Nobody")
    results = partner_api_a1.get("/api/v1/leads/").json()["results"]
    assert {r["id"] for r in results} == {mine.pk, assigned.pk}
    by_id = {r["id"]: r for r in results}
    assert by_id[mine.pk]["contact_email"] is None
    assert by_id[assigned.pk]["contact_email"] == "erika@kunde.example"

import datetime

import pytest

from leadrouter.api_errors import DomainError
from leadrouter.tenancy.models import AuditEvent
from partners import services
from partners.models import Partner, PartnerStatus, TaxonomyTerm
from tests.factories import partner_create


def _data(**changes) -> dict:
    data = {
        "external_id": "P-100", "name": "Gamma Automation", "country": "de",
        "postal_code": "80331", "city": "München", "employees": 12, "capacity": 5,
        "deal_value_min": 5000, "deal_value_max": 80000, "level": "gold",
        "languages": ["DE", "en"], "notification_email": "leads@gamma.example",
        "territories": [{"country": "DE", "postal_prefixes": ["80", "81"], "radius_km": None},
                        {"country": "AT", "postal_prefixes": [], "radius_km": None}],
        "industries": ["C28"],
        "competencies": [{"code": "cnc", "level": 3}, {"code": "service", "level": 1}],
        "certifications": [{"code": "iso9001", "valid_until": datetime.date(2030, 1, 31)}],
        "products": [{"code": "model-x", "available": False}],
    }
    data.update(changes)
    return data


def test_it_creates_a_partner_with_its_nested_profile(scope_a, taxonomy_a, manager_a):
    partner = services.partner_create(tenant=scope_a, actor=manager_a, data=_data())
    partner = Partner.objects.get(pk=partner.pk)
    assert partner.country == "DE" and partner.languages == ["de", "en"]
    territories = partner.territories.order_by("country")
    assert [t.postal_prefixes for t in territories] == [[], ["80", "81"]]
    assert {(c.term.code, c.level) for c in partner.competencies.all()} == {("cnc", 3),
                                                                            ("service", 1)}
    assert partner.certifications.get().valid_until == datetime.date(2030, 1, 31)
    assert partner.products.get().available is False
    assert partner.industries.get().term.code == "C28"


def test_it_audits_the_creation(scope_a, taxonomy_a, manager_a):
    partner = services.partner_create(tenant=scope_a, actor=manager_a, data=_data())
    event = AuditEvent.objects.get(action="partner.created")
    assert event.actor == "manager@acme.example" and event.target_id == str(partner.pk)


@pytest.mark.parametrize(("field", "value"), [
    ("name", ""),
    ("country", "Germany"),
    ("country", "XX"),
    ("status", "sleeping"),
    ("level", "diamond"),
    ("employees", -1),
    ("capacity", "ten"),
    ("deal_value_min", -5),
    ("deal_value_max", "lots"),
    ("languages", ["german"]),
    ("notification_email", "not-an-address"),
    ("territories", [{"country": "XYZ"}]),
    ("territories", [{"country": "DE", "postal_prefixes": ["80"], "radius_km": 50}]),
    ("territories", [{"country": "DE", "radius_km": 0}]),
    ("competencies", [{"code": "cnc", "level": 4}]),
    ("competencies", [{"code": "cnc"}, {"code": "cnc"}]),
    ("certifications", [{"code": "iso9001", "valid_until": "someday"}]),
    ("industries", [""]),
])
def test_it_names_the_field_of_an_invalid_value(scope_a, taxonomy_a, manager_a, field, value):
    with pytest.raises(DomainError) as raised:
        services.partner_create(tenant=scope_a, actor=manager_a, data=_data(**{field: value}))
    assert raised.value.status_code == 400 and raised.value.code == "invalid"
    assert list(raised.value.fields) == [field]
    assert not Partner.objects.exists()


def test_it_refuses_a_band_whose_maximum_is_below_its_minimum(scope_a, taxonomy_a, manager_a):
    with pytest.raises(DomainError) as raised:
        services.partner_create(tenant=scope_a, actor=manager_a,
                                data=_data(deal_value_min=10000, deal_value_max=500))
    assert list(raised.value.fields) == ["deal_value_max"]


def test_it_requires_external_id_name_and_country(scope_a, manager_a):
    with pytest.raises(DomainError) as raised:
        services.partner_create(tenant=scope_a, actor=manager_a, data={})
    assert set(raised.value.fields) == {"external_id", "name", "country"}


def test_it_refuses_an_external_id_in_use(scope_a, taxonomy_a, manager_a, partner_a1):
    with pytest.raises(DomainError) as raised:
        services.partner_create(tenant=scope_a, actor=manager_a,
                                data=_data(external_id=partner_a1.external_id))
    assert raised.value.status_code == 409 and raised.value.code == "duplicate"
    assert "external_id" in raised.value.fields


@pytest.mark.parametrize(("field", "value", "known"), [
    ("industries", ["Z99"], "C, C28, C28.1"),
    ("competencies", [{"code": "welding", "level": 1}], "cnc, service"),
    ("certifications", [{"code": "iso27001"}], "iso9001"),
    ("products", [{"code": "model-z"}], "model-x, model-y"),
])
def test_it_refuses_unknown_codes_listing_the_known_ones(scope_a, taxonomy_a, manager_a, field,
                                                         value, known):
    with pytest.raises(DomainError) as raised:
        services.partner_create(tenant=scope_a, actor=manager_a, data=_data(**{field: value}))
    error = raised.value
    assert error.status_code == 400 and error.code == "unknown_code"
    assert list(error.fields) == [field]
    assert f"Known codes: {known}." in error.fields[field][0]
    assert not Partner.objects.exists()


def test_it_creates_unknown_codes_when_the_tenant_allows_it(scope_a, taxonomy_a, manager_a):
    scope_a.auto_create_terms = True
    scope_a.save()
    partner = services.partner_create(
        tenant=scope_a, actor=manager_a,
        data=_data(industries=["C28", "J62"], competencies=[{"code": "welding", "level": 2}]))
    assert TaxonomyTerm.objects.filter(kind="industries", code="J62").exists()
    assert partner.competencies.get().term.code == "welding"
    assert AuditEvent.objects.filter(action="term.created").count() == 2


def test_it_changes_only_the_fields_given(scope_a, taxonomy_a, manager_a):
    partner = services.partner_create(tenant=scope_a, actor=manager_a, data=_data())
    services.partner_update(partner=partner, actor=manager_a, data={"capacity": 9})
    partner = Partner.objects.get(pk=partner.pk)
    assert partner.capacity == 9 and partner.name == "Gamma Automation"
    assert partner.territories.count() == 2 and partner.competencies.count() == 2


def test_it_replaces_a_nested_list_that_is_given(scope_a, taxonomy_a, manager_a):
    partner = services.partner_create(tenant=scope_a, actor=manager_a, data=_data())
    services.partner_update(partner=partner, actor=manager_a,
                            data={"territories": [{"country": "CH", "radius_km": 40}],
                                  "competencies": []})
    territory = partner.territories.get()
    assert (territory.country, territory.radius_km) == ("CH", 40)
    assert not partner.competencies.exists()
    assert partner.products.count() == 1


def test_it_clears_the_pause_date_when_the_status_becomes_active(scope_a, manager_a):
    partner = partner_create(scope_a, status=PartnerStatus.PAUSED,
                             paused_until=datetime.date(2099, 1, 1))
    services.partner_update(partner=partner, actor=manager_a, data={"status": "active"})
    partner.refresh_from_db()
    assert partner.status == "active" and partner.paused_until is None


def test_it_geocodes_the_home_location(scope_a, manager_a, monkeypatch):
    calls = []

    def geocode(*, country, postal_code="", city=""):
        calls.append((country, postal_code, city))
        return (48.137, 11.575)

    monkeypatch.setattr(services, "geocode", geocode)
    partner = services.partner_create(tenant=scope_a, actor=manager_a,
                                      data={"external_id": "G1", "name": "G", "country": "DE",
                                            "postal_code": "80331", "city": "München"})
    assert (partner.latitude, partner.longitude) == (48.137, 11.575)
    services.partner_update(partner=partner, actor=manager_a, data={"capacity": 3})
    assert len(calls) == 1  # the location did not change
    monkeypatch.setattr(services, "geocode", lambda **kwargs: None)
    services.partner_update(partner=partner, actor=manager_a, data={"postal_code": "00000"})
    assert partner.latitude is None and partner.longitude is None


def test_it_invalidates_the_partner_table_after_commit(scope_a, manager_a, monkeypatch,
                                                       django_capture_on_commit_callbacks):
    invalidated = []
    monkeypatch.setattr(services, "partner_table_invalidate", invalidated.append)
    with django_capture_on_commit_callbacks(execute=True):
        partner = services.partner_create(tenant=scope_a, actor=manager_a,
                                          data={"external_id": "I1", "name": "I",
                                                "country": "DE"})
        services.partner_update(partner=partner, actor=manager_a, data={"capacity": 2})
        services.partner_pause(partner=partner, actor=manager_a)
        assert invalidated == []
    assert invalidated == [scope_a.pk] * 3


def test_it_creates_a_taxonomy_term(scope_a, manager_a):
    term = services.term_create(tenant=scope_a, actor=manager_a, kind="certifications",
                                code="tuv", name="TÜV", level=3)
    assert (term.code, term.name, term.level) == ("tuv", "TÜV", 3)
    assert AuditEvent.objects.filter(action="term.created", target_id=str(term.pk)).exists()


@pytest.mark.parametrize(("kind", "code", "level", "field"), [
    ("colours", "red", None, "kind"),
    ("industries", "", None, "code"),
    ("industries", "C", 2, "level"),
    ("certifications", "tuv", 5, "level"),
])
def test_it_refuses_an_invalid_term(scope_a, manager_a, kind, code, level, field):
    with pytest.raises(DomainError) as raised:
        services.term_create(tenant=scope_a, actor=manager_a, kind=kind, code=code, name="x",
                             level=level)
    assert field in raised.value.fields


def test_it_refuses_a_duplicate_term(scope_a, taxonomy_a, manager_a):
    with pytest.raises(DomainError) as raised:
        services.term_create(tenant=scope_a, actor=manager_a, kind="industries", code="C",
                             name="again")
    assert raised.value.status_code == 409 and "code" in raised.value.fields

import pytest
from django.core.management import CommandError, call_command

from leadrouter.tenancy.models import ApiKey, Membership
from leadrouter.tenancy.scoping import tenant_scope
from partners import selectors
from tests.factories import partner_create


@pytest.fixture
def territories_a(tenant_a):
    """Partners with: whole Germany; prefixes 80/81; prefix 1; 50 km around 80331; Austria."""
    made = {}
    for name, territory, postal_code in (
        ("Whole DE", {"country": "DE"}, "10115"),
        ("Munich prefixes", {"country": "DE", "postal_prefixes": ["80", "81"]}, "80331"),
        ("Berlin prefix", {"country": "DE", "postal_prefixes": ["1"]}, "10115"),
        ("Munich radius", {"country": "DE", "radius_km": 50}, "80331"),
        ("Vienna", {"country": "AT"}, "1010"),
    ):
        partner = partner_create(tenant_a, name=name, postal_code=postal_code)
        with tenant_scope(tenant_a):
            partner.territories.create(tenant=tenant_a, **territory)
        made[name] = partner
    return made


def _names(**filters) -> list[str]:
    return sorted(p.name for p in selectors.partner_list(**filters))


def test_it_filters_by_territory_country(scope_a, territories_a):
    assert _names(country="at") == ["Vienna"]


def test_it_filters_by_a_full_postal_code(scope_a, territories_a):
    assert _names(country="DE", postal_prefix="80331") == [
        "Munich prefixes", "Munich radius", "Whole DE"]


def test_it_filters_by_a_short_postal_prefix(scope_a, territories_a):
    assert _names(country="DE", postal_prefix="8") == [
        "Munich prefixes", "Munich radius", "Whole DE"]
    assert _names(country="DE", postal_prefix="10") == ["Berlin prefix", "Whole DE"]


def test_it_ignores_quotes_in_the_postal_prefix(scope_a, territories_a):
    assert _names(country="DE", postal_prefix='8"') == [
        "Munich prefixes", "Munich radius", "Whole DE"]


def test_it_finds_a_partner_by_external_id_or_id(scope_a, partner_a1):
    assert selectors.partner_by_reference("P-A1") == partner_a1
    assert selectors.partner_by_reference(str(partner_a1.pk)) == partner_a1
    assert selectors.partner_by_reference("nope") is None
    assert selectors.partner_by_reference("") is None


def test_it_creates_a_partner_user_by_partner_reference(tenant_a, partner_a1):
    call_command("create_user", "--tenant", "acme", "--email", "p@alpha.example", "--role",
                 "partner", "--partner", "P-A1", "--password", "s3cret-enough-42")
    with tenant_scope(tenant_a):
        assert Membership.objects.get(user__email="p@alpha.example").partner == partner_a1


def test_it_creates_a_partner_key_by_partner_id(tenant_a, partner_a1, capsys):
    call_command("create_api_key", "--tenant", "acme", "--name", "Alpha ERP", "--partner",
                 str(partner_a1.pk))
    with tenant_scope(tenant_a):
        assert ApiKey.objects.get(name="Alpha ERP").partner == partner_a1


def test_it_names_an_unknown_partner_reference(tenant_a):
    with pytest.raises(CommandError, match="No partner 'P-404'"):
        call_command("create_api_key", "--tenant", "acme", "--name", "x", "--partner", "P-404")
    with pytest.raises(CommandError, match="No partner 'P-404'"):
        call_command("create_user", "--tenant", "acme", "--email", "x@y.example", "--role",
                     "partner", "--partner", "P-404")


def test_it_does_not_find_another_tenants_partner(tenant_b, partner_a1):
    with tenant_scope(tenant_b):
        assert selectors.partner_by_reference("P-A1") is None

"""`manage.py seed_demo`: a realistic, repeatable demo tenant."""

from collections import defaultdict

from django.contrib.auth import authenticate
from django.core.management import call_command
from django.utils import timezone

from feedback.models import OutcomeEvent
from leadrouter.tenancy.models import ApiKey, Membership, Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import Lead
from matching.models import Offer
from partners.models import Partner, PartnerCertification, PartnerTerritory, TaxonomyTerm

PASSWORD = "demo-pass-2026"


def _counts() -> dict[str, int]:
    tenant = Tenant.objects.get(slug="demo")
    with tenant_scope(tenant):
        return {model.__name__: model.objects.count()
                for model in (TaxonomyTerm, Partner, PartnerTerritory, Lead, Offer,
                              OutcomeEvent, Membership, ApiKey)}


def test_it_gives_the_same_counts_when_seeded_twice(db, capsys):
    call_command("seed_demo")
    first = _counts()
    call_command("seed_demo")
    assert _counts() == first
    assert first["Partner"] >= 140 and first["Lead"] >= 2000


def test_it_prints_logins_that_work(db, capsys):
    call_command("seed_demo", "--history-leads", "50")
    out = capsys.readouterr().out
    emails = [line.split()[1] for line in out.splitlines()
              if "password: " + PASSWORD in line]
    assert "admin@demo.leadrouter.local" in emails
    assert "manager@demo.leadrouter.local" in emails
    assert "partner1@demo.leadrouter.local" in emails
    for email in emails:
        assert authenticate(username=email, password=PASSWORD) is not None, email


def test_it_prints_the_api_key_only_when_it_creates_it(db, capsys, client):
    call_command("seed_demo", "--history-leads", "50")
    first = capsys.readouterr().out
    plain_key = first.split("store it):")[1].split()[0]
    response = client.get("/api/v1/whoami/", HTTP_AUTHORIZATION=f"Bearer {plain_key}")
    assert response.status_code == 200 and response.json()["tenant"] == "demo"
    call_command("seed_demo", "--history-leads", "50")
    second = capsys.readouterr().out
    assert "lr_" not in second and "create_api_key" in second


def test_it_spreads_partners_over_germany_austria_and_switzerland(demo):
    countries = set(Partner.objects.values_list("country", flat=True))
    assert countries == {"DE", "AT", "CH"}
    assert not Partner.objects.filter(latitude__isnull=True).exists()


def test_it_mixes_small_shops_with_a_few_large_integrators(demo):
    small = Partner.objects.filter(employees__lte=10).count()
    large = Partner.objects.filter(employees__gte=150).count()
    assert small > 90 and 3 <= large <= 15
    assert PartnerTerritory.objects.filter(radius_km__isnull=False).exists()
    assert PartnerTerritory.objects.exclude(postal_prefixes=[]).exists()
    assert PartnerCertification.objects.filter(valid_until__lt=demo.tenant.created_at).exists()


def test_it_keeps_every_lead_status_consistent_with_its_events(demo):
    events = defaultdict(list)
    for lead_id, kind in OutcomeEvent.objects.values_list("lead_id", "kind"):
        events[lead_id].append(kind)
    offers = defaultdict(list)
    for lead_id, partner_id, status in Offer.objects.values_list("lead_id", "partner_id",
                                                                 "status"):
        offers[lead_id].append((partner_id, status))
    progress = {"contacted", "qualified", "proposal"}
    for lead in Lead.objects.all():
        kinds, lead_offers = events[lead.pk], offers[lead.pk]
        accepted = [p for p, s in lead_offers if s == "accepted"]
        assert kinds.count("offered") == len(lead_offers), lead.external_id
        if lead.status in ("won", "lost"):
            assert kinds.count(lead.status) == 1 and len(set(kinds) & {"won", "lost"}) == 1
            assert accepted == [lead.assigned_partner_id] and lead.closed_at
        elif lead.status in ("accepted", "in_progress"):
            assert accepted == [lead.assigned_partner_id] and not lead.closed_at
            assert not set(kinds) & {"won", "lost"}
            assert bool(set(kinds) & progress) == (lead.status == "in_progress")
        elif lead.status == "unrouted":
            assert not accepted and lead.assigned_partner_id is None and lead.status_reason
            assert all(s in ("rejected", "expired") for _, s in lead_offers)
        else:
            assert lead.status == "offered"
            assert any(s == "pending" for _, s in lead_offers)


def test_it_gives_the_demo_partner_users_pending_offers(demo):
    memberships = Membership.objects.filter(role="partner").select_related("user")
    assert memberships.count() >= 2
    for membership in memberships:
        assert membership.user.username.endswith("@demo.leadrouter.local")
        pending = Offer.objects.filter(partner_id=membership.partner_id, status="pending",
                                       expires_at__gt=timezone.now())
        assert pending.count() >= 3

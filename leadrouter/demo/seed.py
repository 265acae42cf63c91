"""Build (or top up) the demo tenant: logins, taxonomy, partners, a year of history, and a
few fresh offers waiting in the demo partner users' portal. Safe to run again."""

import random
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from faker import Faker

from leadrouter.demo.history import (
    CURRENT_PREFIX,
    current_lead_plan,
    history_plan,
    lead_plans_save,
)
from leadrouter.demo.partners import EXTERNAL_ID_PREFIX, partners_plan, partners_save
from leadrouter.demo.places import Place, places_in
from leadrouter.demo.taxonomy import Taxonomy, taxonomy_seed
from leadrouter.tenancy.api_keys import api_key_create
from leadrouter.tenancy.audit import audit_record
from leadrouter.tenancy.models import ApiKey, Role, Tenant
from leadrouter.tenancy.scoping import tenant_scope
from leadrouter.tenancy.services import user_create_in_tenant
from leads.models import Lead, LeadStatus
from matching.models import Offer, OfferStatus
from partners.models import Partner, PartnerStatus

DEMO_SLUG = "demo"
DEMO_NAME = "Demo Maschinenbau GmbH"
DEMO_PASSWORD = "demo-pass-2026"
DEMO_PEOPLE = [
    ("admin@demo.leadrouter.local", Role.ADMIN),
    ("manager@demo.leadrouter.local", Role.MANAGER),
]
DEMO_API_KEY_NAME = "Demo CRM"
SEED = 2026
HISTORY_LEADS = 2000
PARTNER_USERS = 3
PENDING_PER_PARTNER_USER = 3
LOCALES = {"DE": "de_DE", "AT": "de_AT", "CH": "de_CH"}


@dataclass
class DemoSeedReport:
    tenant: Tenant
    created: bool  # False: the channel was already there (only logins and offers refreshed)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (email, role, partner)
    api_key: str | None = None  # plain key, only on the run that created it
    partners: int = 0
    leads: int = 0
    pending_offers_added: int = 0


def _fakers(seed: int) -> dict[str, Faker]:
    fakers = {}
    for offset, (country, locale) in enumerate(LOCALES.items()):
        fake = Faker(locale)
        fake.seed_instance(seed + offset)
        fakers[country] = fake
    return fakers


def demo_seed(*, now: datetime | None = None,
              history_leads: int = HISTORY_LEADS) -> DemoSeedReport:
    """Create the demo tenant with its channel and history on the first run; on later runs
    only refresh the logins and top up pending offers for the demo partner users."""
    now = now or timezone.now()
    with transaction.atomic():
        tenant, _ = Tenant.objects.get_or_create(
            slug=DEMO_SLUG, defaults={"name": DEMO_NAME, "timezone": "Europe/Berlin",
                                      "currency": "EUR", "locale": "de"})
        with tenant_scope(tenant):
            report = DemoSeedReport(tenant=tenant, created=False)
            for email, role in DEMO_PEOPLE:
                user_create_in_tenant(tenant=tenant, email=email, role=role,
                                      password=DEMO_PASSWORD)
                report.logins.append((email, role, ""))
            taxonomy = taxonomy_seed(tenant=tenant)
            if not Partner.objects.filter(external_id__startswith=EXTERNAL_ID_PREFIX).exists():
                _channel_seed(tenant=tenant, taxonomy=taxonomy, now=now,
                              history_leads=history_leads)
                report.created = True
            for index, partner in enumerate(_demo_partners(), start=1):
                email = f"partner{index}@demo.leadrouter.local"
                user_create_in_tenant(tenant=tenant, email=email, role=Role.PARTNER,
                                      password=DEMO_PASSWORD, partner=partner)
                report.logins.append((email, Role.PARTNER, partner.name))
                report.pending_offers_added += _pending_top_up(
                    tenant=tenant, partner=partner, taxonomy=taxonomy, now=now)
            if not ApiKey.objects.filter(name=DEMO_API_KEY_NAME).exists():
                report.api_key = api_key_create(tenant=tenant,
                                                name=DEMO_API_KEY_NAME).plain_key
            report.partners = Partner.objects.count()
            report.leads = Lead.objects.count()
            if report.created:
                audit_record(tenant=tenant, actor="seed_demo", action="demo.seeded",
                             data={"partners": report.partners, "leads": report.leads})
    return report


def _channel_seed(*, tenant: Tenant, taxonomy: Taxonomy, now: datetime,
                  history_leads: int) -> None:
    rng = random.Random(SEED)
    fakers = _fakers(SEED)
    plans = partners_plan(tenant=tenant, taxonomy=taxonomy, now=now, rng=rng, fakers=fakers)
    partners_save(tenant=tenant, plans=plans, taxonomy=taxonomy)
    lead_plans_save(history_plan(tenant=tenant, plans=plans, taxonomy=taxonomy, now=now,
                                 rng=rng, fakers=fakers, count=history_leads))


def _demo_partners() -> list[Partner]:
    """The partners the demo partner users belong to: the ones already linked, else the
    active partners holding the most open leads, one each of large, mid-sized and small —
    so the portal shows work in progress as well as fresh offers."""
    linked = list(Partner.objects.filter(
        memberships__role=Role.PARTNER,
        memberships__user__username__endswith="@demo.leadrouter.local",
    ).order_by("memberships__user__username").distinct())
    if linked:
        return linked
    busy = (Partner.objects.filter(status=PartnerStatus.ACTIVE,
                                   external_id__startswith=EXTERNAL_ID_PREFIX)
            .annotate(open_leads=Count("leads", filter=Q(
                leads__status__in=[LeadStatus.ACCEPTED, LeadStatus.IN_PROGRESS])))
            .order_by("-open_leads", "external_id"))
    chosen: list[Partner] = []
    for low, high in ((150, 10**6), (11, 149), (1, 10)):
        partner = busy.filter(employees__gte=low, employees__lte=high).first()
        if partner is not None:
            chosen.append(partner)
    return chosen[:PARTNER_USERS]


def _pending_top_up(*, tenant: Tenant, partner: Partner, taxonomy: Taxonomy,
                    now: datetime) -> int:
    """Fresh leads offered to `partner` until it has a few offers awaiting its answer."""
    pending = Offer.objects.filter(partner=partner, status=OfferStatus.PENDING,
                                   expires_at__gt=now).count()
    missing = PENDING_PER_PARTNER_USER - pending
    if missing <= 0:
        return 0
    taken = Lead.objects.filter(external_id__startswith=CURRENT_PREFIX).count()
    rng = random.Random(SEED * 7 + taken)
    fake = Faker(LOCALES.get(partner.country, "de_DE"))
    fake.seed_instance(SEED * 7 + taken)
    industries = list(partner.industries.values_list("term__code", flat=True))
    competencies = list(partner.competencies.values_list("term__code", flat=True)) \
        or ["installation"]
    nearby = _places_near(partner)
    plans = [
        current_lead_plan(tenant=tenant, partner=partner, place=rng.choice(nearby),
                          external_id=f"{CURRENT_PREFIX}-{taken + i + 1:05d}",
                          industries=industries, competencies=competencies, now=now,
                          rng=rng, fake=fake, taxonomy=taxonomy)
        for i in range(missing)
    ]
    lead_plans_save(plans)
    return missing


def _places_near(partner: Partner) -> list[Place]:
    """Places in the partner's own postal area, so the offer is inside its territory."""
    places = places_in(partner.country)
    for length in (3, 2, 1):
        near = [p for p in places if p.postal_code[:length] == partner.postal_code[:length]]
        if len(near) >= 3:
            return near
    return list(places)

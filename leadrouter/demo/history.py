"""A year of leads, offers and outcome events, drawn from the partners' hidden rates.

Each lead is routed the way the product does it — eligible partners (territory, deal band,
valid certifications, available products), ranked by fit and past performance, offered in
a cascade of up to three — and then lives its life: accepted, contacted, qualified,
proposal, won or lost, or still open today. Lead status and timestamps follow its events.
"""

import math
import random
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal

from faker import Faker

from feedback.models import LossReason, OutcomeEvent, OutcomeKind
from leadrouter.demo.partners import PartnerPlan
from leadrouter.demo.places import Place, places_in
from leadrouter.demo.taxonomy import SHOWROOM_PRODUCTS, Taxonomy
from leadrouter.tenancy.models import Tenant
from leads.geocoding import haversine_km
from leads.models import GeocodeStatus, Lead, LeadChannel, LeadStatus
from matching.models import Offer, OfferMode, OfferStatus, RejectReason

HISTORY_PREFIX = "DEMO-L"
CURRENT_PREFIX = "DEMO-C"
SLA = timedelta(hours=24)
MAX_ATTEMPTS = 3
SYSTEM = "system"

COUNTRY_WEIGHTS = [("DE", 0.72), ("AT", 0.16), ("CH", 0.12)]
INDUSTRY_WEIGHTS = {"C28": 8, "C28.1": 6, "C28.4": 6, "C25": 6, "C25.6": 3, "C29": 4,
                    "C22": 3, "C10": 3, "G46": 4, "G45": 3, "F43": 3, "H49": 3, "J62": 2,
                    "M71": 2, "D35": 2, "A01": 2, "Q86": 1}
COMPETENCY_WEIGHTS = {"installation": 6, "service": 6, "consulting": 4, "integration": 3,
                      "automation": 3, "retrofit": 2, "training": 2, "financing": 3,
                      "upselling": 1, "cross-selling": 1}
# source: (channel, campaigns, cost per lead range in EUR, weight)
SOURCES = {
    "google_ads": (LeadChannel.API, ["search-cnc-2025", "search-laser-2026"], (35, 90), 22),
    "linkedin": (LeadChannel.API, ["abm-integrators", "automation-whitepaper"], (60, 150), 12),
    "trade_fair": (LeadChannel.CSV, ["emo-hannover", "intec-leipzig", "swisstech-basel"],
                   (120, 300), 14),
    "website": (LeadChannel.FORM, ["organic", "configurator"], (0, 5), 24),
    "newsletter": (LeadChannel.FORM, ["newsletter-monthly"], (2, 8), 8),
    "telemarketing": (LeadChannel.MANUAL, ["outbound-q2"], (40, 80), 10),
    "partner_referral": (LeadChannel.MANUAL, ["referral"], (0, 0), 10),
}
LOSS_WEIGHTS = [(LossReason.PRICE, 25), (LossReason.COMPETITOR, 25),
                (LossReason.NO_BUDGET, 15), (LossReason.UNREACHABLE, 10),
                (LossReason.NOT_A_FIT, 10), (LossReason.TIMING, 10), (LossReason.OTHER, 5)]


@dataclass
class LeadPlan:
    lead: Lead
    offers: list[Offer] = field(default_factory=list)
    events: list[OutcomeEvent] = field(default_factory=list)


def _ascii(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.replace("ß", "ss"))
    return re.sub(r"[^a-z0-9]+", "", text.encode("ascii", "ignore").decode().lower())


def _pick(rng: random.Random, weights: dict | list) -> str:
    items = list(weights.items()) if isinstance(weights, dict) else weights
    return rng.choices([k for k, _ in items], weights=[w for _, w in items])[0]


def _contact(fake: Faker, company: str) -> tuple[str, str, str]:
    first, last = fake.first_name(), fake.last_name()
    domain = _ascii(company.split()[0]) or "kunde"
    return f"{first} {last}", f"{_ascii(first)}.{_ascii(last)}@{domain}.example", \
        fake.phone_number()


def _lead(*, tenant: Tenant, external_id: str, place: Place, received_at: datetime,
          rng: random.Random, fake: Faker, taxonomy: Taxonomy, industry: str | None = None,
          deal_value: float | None = None, competencies: list[str] | None = None,
          products: list[str] | None = None) -> Lead:
    source = _pick(rng, {name: spec[3] for name, spec in SOURCES.items()})
    channel, campaigns, (cost_lo, cost_hi), _weight = SOURCES[source]
    campaign = rng.choice(campaigns)
    employees = max(1, min(20000, int(rng.lognormvariate(math.log(40), 1.3))))
    if deal_value is None:
        deal_value = rng.lognormvariate(math.log(12000), 0.85) * (employees / 40) ** 0.2
        deal_value = max(800.0, min(1.5e6, deal_value))
    if competencies is None:
        competencies = sorted({_pick(rng, COMPETENCY_WEIGHTS)
                               for _ in range(rng.randint(1, 3))})
    if products is None:
        products = []
        if campaign == "configurator" and rng.random() < 0.5:
            products = [rng.choice(SHOWROOM_PRODUCTS)]
        elif rng.random() < 0.05:
            products = [rng.choice(list(taxonomy.products))]
    certifications = []
    if rng.random() < 0.1:
        certifications = [rng.choice(["iso-9001", "install-basic", "service-pro",
                                      "ce-machinery"])]
    language = "de"
    if place.country == "CH":
        language = rng.choices(["de", "fr", "it"], weights=[65, 25, 10])[0]
    company = fake.company()
    name, email, phone = _contact(fake, company)
    return Lead(
        tenant=tenant, external_id=external_id, company_name=company,
        industry=industry or _pick(rng, INDUSTRY_WEIGHTS), employees=employees,
        country=place.country, postal_code=place.postal_code, city=place.city,
        latitude=place.latitude, longitude=place.longitude,
        geocode_status=GeocodeStatus.FOUND,
        deal_value=Decimal(round(deal_value, -2) or 100), currency="EUR",
        competencies=competencies, certifications=certifications, products=products,
        language=language, source=source, campaign=campaign,
        cost=Decimal(rng.randint(cost_lo, cost_hi)) if cost_hi else Decimal(0),
        contact_name=name, contact_email=email, contact_phone=phone, consent=True,
        channel=channel, received_at=received_at, status=LeadStatus.NEW,
    )


def _exclusion(plan: PartnerPlan, lead: Lead, when: datetime) -> str | None:
    """Why the partner could not get the lead at that time, or None if it could."""
    partner = plan.partner
    if partner.created_at > when:
        return "not_yet_partner"
    if not any(_in_territory(t, lead, plan.place) for t in plan.territories):
        return "territory"
    deal = float(lead.deal_value)
    if deal < float(partner.deal_value_min) or deal > float(partner.deal_value_max):
        return "deal_band"
    for code in lead.certifications:
        until = plan.certifications.get(code)
        if until is None or until < when.date():
            return "certification"
    for code in lead.products:
        if not plan.products.get(code):
            return "product"
    return None


def _in_territory(territory, lead: Lead, home: Place) -> bool:
    if territory.country != lead.country:
        return False
    if territory.radius_km:
        return haversine_km(home.latitude, home.longitude, lead.latitude,
                            lead.longitude) <= territory.radius_km
    if territory.postal_prefixes:
        return lead.postal_code.startswith(tuple(territory.postal_prefixes))
    return True


def _fit(plan: PartnerPlan, lead: Lead) -> float:
    industry = 1.0 if lead.industry in plan.industries else (
        0.6 if lead.industry[:1] in {code[:1] for code in plan.industries} else 0.2)
    competency = sum(plan.competencies.get(c, 0) / 3 for c in lead.competencies) / max(
        1, len(lead.competencies))
    low, high = float(plan.partner.deal_value_min) or 500.0, float(plan.partner.deal_value_max)
    sweet = math.sqrt(low * high)
    size = max(0.0, 1 - abs(math.log(float(lead.deal_value) / sweet)) / 4)
    return 0.35 * industry + 0.35 * competency + 0.3 * size


def _reject_reason(plan: PartnerPlan, lead: Lead, rng: random.Random) -> str:
    deal = float(lead.deal_value)
    weights = {RejectReason.NO_CAPACITY: 3 if plan.segment == "small" else 1,
               RejectReason.OUTSIDE_COMPETENCE: 2, RejectReason.CONFLICT: 1,
               RejectReason.OTHER: 1, RejectReason.OUTSIDE_TERRITORY: 0.5}
    if deal < 2 * float(plan.partner.deal_value_min or 0):
        weights[RejectReason.TOO_SMALL] = 4
    if deal > 0.5 * float(plan.partner.deal_value_max):
        weights[RejectReason.TOO_LARGE] = 4
    return _pick(rng, weights)


def _event(lead: Lead, kind: str, when: datetime, *, partner=None, offer=None,
           actor: str = SYSTEM, reason: str = "", value=None) -> OutcomeEvent:
    return OutcomeEvent(tenant_id=lead.tenant_id, lead=lead, partner=partner, offer=offer,
                        kind=kind, reason=reason, value=value, occurred_at=when,
                        recorded_at=when, actor=actor)


def history_plan(*, tenant: Tenant, plans: list[PartnerPlan], taxonomy: Taxonomy,
                 now: datetime, rng: random.Random, fakers: dict[str, Faker],
                 count: int = 2000) -> list[LeadPlan]:
    """`count` closed-loop leads received 3 to 365 days ago, oldest first."""
    ages = sorted((3 + 362 * rng.random() ** 1.25 for _ in range(count)), reverse=True)
    by_country: dict[str, list[PartnerPlan]] = {}
    for plan in plans:
        for country in {t.country for t in plan.territories}:
            by_country.setdefault(country, []).append(plan)
    result = []
    for number, age in enumerate(ages, start=1):
        country = _pick(rng, COUNTRY_WEIGHTS)
        received = now - timedelta(days=age, minutes=rng.randint(0, 600))
        lead = _lead(tenant=tenant, external_id=f"{HISTORY_PREFIX}-{number:05d}",
                     place=rng.choice(places_in(country)), received_at=received, rng=rng,
                     fake=fakers[country], taxonomy=taxonomy)
        result.append(_route_and_live(lead, by_country.get(country, []), now, rng))
    return result


def _route_and_live(lead: Lead, candidates: list[PartnerPlan], now: datetime,
                    rng: random.Random) -> LeadPlan:
    plan = LeadPlan(lead)
    when = lead.received_at
    excluded: Counter[str] = Counter()
    eligible = []
    for partner_plan in candidates:
        reason = _exclusion(partner_plan, lead, when)
        if reason:
            excluded[reason] += 1
        else:
            eligible.append(partner_plan)
    lead.routed_at = when + timedelta(minutes=rng.randint(1, 20))
    if not eligible:
        lead.status = LeadStatus.UNROUTED
        lead.status_reason = "No eligible partner: " + ", ".join(
            f"{n} {reason.replace('_', ' ')}" for reason, n in excluded.most_common())
        return plan
    ranked = sorted(
        eligible, reverse=True,
        key=lambda p: _fit(p, lead) * (0.6 + 2 * p.performance.win)
        * math.log(3 + p.partner.capacity) ** 0.5 * rng.lognormvariate(0, 0.5))
    offered_at = lead.routed_at
    declined = expired = 0
    for rank, partner_plan in enumerate(ranked[:MAX_ATTEMPTS], start=1):
        partner, perf = partner_plan.partner, partner_plan.performance
        offer = Offer(tenant_id=lead.tenant_id, lead=lead, partner=partner, rank=rank,
                      score=round(_fit(partner_plan, lead), 4), mode=OfferMode.CASCADE,
                      offered_at=offered_at, expires_at=offered_at + SLA)
        plan.offers.append(offer)
        plan.events.append(_event(lead, OutcomeKind.OFFERED, offered_at, partner=partner,
                                  offer=offer))
        respond = offered_at + timedelta(hours=rng.uniform(*perf.response_hours))
        if rng.random() < perf.accept:
            offer.status, offer.responded_at = OfferStatus.ACCEPTED, respond
            offer.responded_by = partner.notification_email
            plan.events.append(_event(lead, OutcomeKind.ACCEPTED, respond, partner=partner,
                                      offer=offer, actor=partner.notification_email))
            lead.status, lead.assigned_partner, lead.accepted_at = (
                LeadStatus.ACCEPTED, partner, respond)
            _live(plan, partner_plan, offer, now, rng)
            return plan
        if rng.random() < perf.expire_share:
            offer.status = OfferStatus.EXPIRED
            plan.events.append(_event(lead, OutcomeKind.EXPIRED, offer.expires_at,
                                      partner=partner, offer=offer))
            offered_at = offer.expires_at
            expired += 1
        else:
            offer.status, offer.responded_at = OfferStatus.REJECTED, respond
            offer.responded_by = partner.notification_email
            offer.reject_reason = _reject_reason(partner_plan, lead, rng)
            plan.events.append(_event(lead, OutcomeKind.REJECTED, respond, partner=partner,
                                      offer=offer, actor=partner.notification_email,
                                      reason=offer.reject_reason))
            offered_at = respond
            declined += 1
        offered_at += timedelta(minutes=rng.randint(1, 5))
    lead.status = LeadStatus.UNROUTED
    lead.status_reason = (f"No partner took the lead: {declined} declined, {expired} let the "
                          "offer expire.")
    return plan


def _live(plan: LeadPlan, partner_plan: PartnerPlan, offer: Offer, now: datetime,
          rng: random.Random) -> None:
    """After acceptance: the partner's work on the lead, up to today."""
    lead, partner, perf = plan.lead, partner_plan.partner, partner_plan.performance
    actor = partner.notification_email
    start = lead.accepted_at
    close_at = start + timedelta(days=rng.uniform(*perf.days_to_close))
    stale = rng.random() < perf.stale
    contacted = rng.random() < perf.contact
    won = contacted and not stale and rng.random() < perf.win / perf.contact
    steps: list[tuple[str, datetime]] = []
    if contacted:
        span = (close_at - start).total_seconds()
        steps.append((OutcomeKind.CONTACTED, start + timedelta(seconds=span * rng.uniform(
            0.01, 0.1))))
        if won or rng.random() < 0.55:
            steps.append((OutcomeKind.QUALIFIED, start + timedelta(
                seconds=span * rng.uniform(0.15, 0.35))))
            if won or rng.random() < 0.5:
                steps.append((OutcomeKind.PROPOSAL, start + timedelta(
                    seconds=span * rng.uniform(0.4, 0.75))))
    for kind, when in steps:
        if when <= now:
            plan.events.append(_event(lead, kind, when, partner=partner, offer=offer,
                                      actor=actor))
            lead.status = LeadStatus.IN_PROGRESS
    if stale or close_at > now:
        return
    if won:
        value = Decimal(round(float(lead.deal_value) * rng.uniform(0.75, 1.3), -2) or 100)
        plan.events.append(_event(lead, OutcomeKind.WON, close_at, partner=partner,
                                  offer=offer, actor=actor, value=value))
        lead.status = LeadStatus.WON
    else:
        reason = LossReason.UNREACHABLE if not contacted else _pick(rng, LOSS_WEIGHTS)
        plan.events.append(_event(lead, OutcomeKind.LOST, close_at, partner=partner,
                                  offer=offer, actor=actor, reason=reason))
        lead.status = LeadStatus.LOST
    lead.closed_at = close_at


def current_lead_plan(*, tenant: Tenant, partner, place: Place, external_id: str,
                      industries: list[str], competencies: list[str], now: datetime,
                      rng: random.Random, fake: Faker, taxonomy: Taxonomy) -> LeadPlan:
    """A lead that arrived in the last hours, offered to `partner` and waiting for an answer."""
    low = float(partner.deal_value_min) or 1000.0
    high = float(partner.deal_value_max or low * 20)
    deal = math.exp(rng.uniform(math.log(max(low, 1000.0)), math.log(high)))
    specific = [code for code in industries if len(code) > 1] or ["C28"]
    lead = _lead(tenant=tenant, external_id=external_id, place=place,
                 received_at=now - timedelta(hours=rng.uniform(0.5, 8)), rng=rng, fake=fake,
                 taxonomy=taxonomy, industry=rng.choice(specific), deal_value=deal,
                 competencies=sorted(rng.sample(competencies, min(2, len(competencies)))),
                 products=[])
    lead.certifications = []
    lead.status = LeadStatus.OFFERED
    lead.routed_at = lead.received_at + timedelta(minutes=rng.randint(1, 10))
    offer = Offer(tenant=tenant, lead=lead, partner=partner, rank=1,
                  score=round(rng.uniform(0.6, 0.95), 4), mode=OfferMode.CASCADE,
                  offered_at=lead.routed_at, expires_at=lead.routed_at + SLA)
    plan = LeadPlan(lead, [offer])
    plan.events.append(_event(lead, OutcomeKind.OFFERED, offer.offered_at, partner=partner,
                              offer=offer))
    return plan


def lead_plans_save(plans: list[LeadPlan]) -> None:
    """Three bulk inserts: leads, then offers (need lead ids), then events (need both)."""
    Lead.objects.bulk_create([plan.lead for plan in plans], batch_size=500)
    Offer.objects.bulk_create([o for plan in plans for o in plan.offers], batch_size=500)
    OutcomeEvent.objects.bulk_create([e for plan in plans for e in plan.events],
                                     batch_size=1000)

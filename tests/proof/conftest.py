"""A world of three tenants whose rows interleave, for the isolation matrix and the fuzzer.

Every object is created for tenant A, then B, then C, one kind after the other, so the ids
of the tenants alternate (A's lead 7, B's lead 8, C's lead 9, ...): an off-by-one or a
missing tenant filter lands on a foreign row instead of on nothing. Every name and e-mail
carries the tenant's marker ("ZZA", "ZZB", "ZZC"), so a page that leaks a foreign row
shows a foreign marker.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.db import transaction
from django.test.utils import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from leadrouter.tenancy.api_keys import api_key_create, api_key_revoke
from leadrouter.tenancy.models import Invitation, Role
from leadrouter.tenancy.scoping import tenant_scope
from leads.models import ImportJob, LeadStatus
from matching.models import Offer, OfferStatus, Webhook, WhatIfRun
from matching.offers import offer_accept
from matching.policy import policy_current
from tests.conftest import PASSWORD
from tests.factories import (
    TenantFactory,
    lead_create,
    membership_create,
    partner_create,
    term_create,
)
from tests.offer_helpers import dispatch_to

LETTERS = ("a", "b", "c")

# A page's CSRF tokens and CSP nonces are random letters and digits, in which a three-letter
# marker turns up now and then (CI saw "ZZA" in one): they are nobody's data, so they are
# cut out before the markers are looked for.
_RANDOM_TOKENS = re.compile(
    r'(?<=name="csrfmiddlewaretoken" value=")[^"]*|(?<="X-CSRFToken": ")[^"]*|(?<=nonce=")[^"]*')


@dataclass
class TenantWorld:
    """One tenant's personas, objects and API keys."""

    letter: str
    tenant: object = None
    marker: str = ""
    users: dict = field(default_factory=dict)  # role name → user
    obj: SimpleNamespace = field(default_factory=SimpleNamespace)
    keys: dict = field(default_factory=dict)  # name → plain key


@dataclass
class World:
    tenants: dict  # letter → TenantWorld

    def __getitem__(self, letter: str) -> TenantWorld:
        return self.tenants[letter]

    def markers_except(self, letter: str) -> list[str]:
        return [t.marker for x, t in self.tenants.items() if x != letter]

    def foreign_markers_in(self, letter: str, text: str) -> list[str]:
        """The other tenants' markers that `text` (a page or a JSON body) shows."""
        text = _RANDOM_TOKENS.sub("", text)
        return [m for m in self.markers_except(letter) if m in text]


def _each(world: dict, make) -> None:
    """One step of the world, done for A, B and C in turn: interleaves the ids."""
    for letter in LETTERS:
        make(world[letter])


def world_build() -> World:
    tenants = {x: TenantWorld(letter=x, marker=f"ZZ{x.upper()}") for x in LETTERS}

    def tenant(t):
        t.tenant = TenantFactory(slug=f"proof-{t.letter}", name=f"Proof {t.marker} Werke")

    def partner(name):
        def make(t):
            setattr(t.obj, name, partner_create(
                t.tenant, external_id=f"{t.marker}-{name}", name=f"{t.marker}-{name}-partner",
                notification_email=f"{name}@{t.marker.lower()}.example"))
        return make

    def user(role, partner_attr=None):
        def make(t):
            partner = getattr(t.obj, partner_attr) if partner_attr else None
            name = partner_attr or role
            membership = membership_create(t.tenant, f"{name}@{t.marker.lower()}.example", role,
                                           PASSWORD, partner=partner)
            t.users[name] = membership.user
            setattr(t.obj, f"membership_{name}", membership)
        return make

    def lead(name):
        def make(t):
            setattr(t.obj, name, lead_create(
                t.tenant, company_name=f"{t.marker}-{name}-GmbH",
                contact_name=f"{t.marker} Kontakt",
                contact_email=f"{name}@{t.marker.lower()}.kunde",
                external_id=f"{t.marker}-{name}"))
        return make

    def offered(t):
        dispatch_to(t.tenant, t.obj.lead_offered, [t.obj.p1])
        with tenant_scope(t.tenant):
            t.obj.offer_pending = Offer.objects.get(lead=t.obj.lead_offered)

    def held(t):
        dispatch_to(t.tenant, t.obj.lead_held, [t.obj.p1])
        with tenant_scope(t.tenant):
            offer = Offer.objects.get(lead=t.obj.lead_held, status=OfferStatus.PENDING)
            t.obj.offer_accepted = offer_accept(offer_id=offer.pk, partner_id=t.obj.p1.pk,
                                                actor=t.users["p1"])

    def offered_p2(t):
        dispatch_to(t.tenant, t.obj.lead_p2, [t.obj.p2])
        with tenant_scope(t.tenant):
            t.obj.offer_p2 = Offer.objects.get(lead=t.obj.lead_p2)

    def unrouted(t):
        with tenant_scope(t.tenant):
            t.obj.lead_unrouted.status = LeadStatus.UNROUTED
            t.obj.lead_unrouted.save()

    def taxonomy(t):
        t.obj.industry = term_create(t.tenant, "industries", f"{t.marker}-IND",
                                     f"{t.marker} Maschinenbau")

    def webhook(t):
        with tenant_scope(t.tenant):
            t.obj.webhook = Webhook.objects.create(
                tenant=t.tenant, url=f"https://{t.marker.lower()}.example/hook",
                events=["lead.routed"], secret="s" * 48)

    def import_job(t):
        with tenant_scope(t.tenant):
            t.obj.import_job = ImportJob.objects.create(
                tenant=t.tenant, created_by="proof", filename=f"{t.marker}-leads.csv",
                content="company_name\nX\n", headers=["company_name"])

    def whatif(t):
        with tenant_scope(t.tenant):
            t.obj.whatif = WhatIfRun.objects.create(
                tenant=t.tenant, base=policy_current(tenant=t.tenant), changes={},
                created_by=f"{t.marker} manager")

    def rule_action(t):
        from feedback.models import RuleAction

        with tenant_scope(t.tenant):
            t.obj.rule_action = RuleAction.objects.create(
                tenant=t.tenant, partner=t.obj.p2, rule="pause", action="pause",
                reason=f"{t.marker} let offers expire")

    def change_request(t):
        from partners.models import PartnerChangeRequest

        with tenant_scope(t.tenant):
            t.obj.change_request = PartnerChangeRequest.objects.create(
                tenant=t.tenant, partner=t.obj.p1, requested_by=t.users["p1"],
                data={"employees": 25}, note=f"{t.marker} asks")

    def invitation(t):
        with tenant_scope(t.tenant):
            t.obj.invitation = Invitation.objects.create(
                tenant=t.tenant, email=f"invited@{t.marker.lower()}.example", role=Role.MANAGER,
                expires_at=timezone.now() + timedelta(days=3))

    def key(name, partner_attr=None, revoke=False):
        def make(t):
            partner = getattr(t.obj, partner_attr) if partner_attr else None
            with tenant_scope(t.tenant):
                issued = api_key_create(tenant=t.tenant, name=f"{t.marker}-{name}",
                                        partner=partner)
                if revoke:
                    api_key_revoke(api_key=issued.api_key)
            t.keys[name] = issued.plain_key
            setattr(t.obj, f"key_{name}", issued.api_key)
        return make

    steps = [
        tenant, partner("p1"), partner("p2"),
        user(Role.ADMIN), user(Role.MANAGER), user(Role.PARTNER, "p1"),
        user(Role.PARTNER, "p2"),
        lead("lead_offered"), lead("lead_held"), lead("lead_p2"), lead("lead_unrouted"),
        offered, held, offered_p2, unrouted,
        taxonomy, webhook, import_job, whatif, rule_action, change_request, invitation,
        key("tenant"), key("p1", "p1"), key("p2", "p2"), key("revoked", revoke=True),
    ]
    for step in steps:
        _each(tenants, step)
    return World(tenants=tenants)


FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="module")
def shared_world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """The world, built once per module in a transaction rolled back at its end; each test
    (asking for `db` too) runs in a savepoint inside it."""
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=FAST_HASHERS), \
            transaction.atomic():
        yield world_build()
        transaction.set_rollback(True)


def api_client(plain_key: str | None) -> APIClient:
    client = APIClient()
    if plain_key:
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {plain_key}")
    return client

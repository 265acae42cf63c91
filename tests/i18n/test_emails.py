"""E-mails are written in the tenant's language, with amounts in its format."""

from decimal import Decimal

from django.core import mail

from leadrouter.tenancy.invitations import invitation_create
from leadrouter.tenancy.models import Role
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from matching.notifications import notify
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to


def _invite(tenant, admin, django_capture_on_commit_callbacks):
    with tenant_scope(tenant), django_capture_on_commit_callbacks(execute=True):
        invitation_create(tenant=tenant, actor=admin, email="neu@acme.example",
                          role=Role.MANAGER)
    return mail.outbox[-1]


def test_it_sends_the_invitation_in_german_for_a_german_tenant(
        german_tenant, admin_a, django_capture_on_commit_callbacks):
    message = _invite(german_tenant, admin_a, django_capture_on_commit_callbacks)
    assert message.subject == "Sie sind zu ACME Maschinen auf LeadRouter eingeladen"
    assert "Passwort festlegen und anmelden" in message.body
    html = message.alternatives[0][0]
    assert "Guten Tag" in html and "Set your password" not in html


def test_it_sends_the_invitation_in_english_for_an_english_tenant(
        tenant_a, admin_a, django_capture_on_commit_callbacks):
    message = _invite(tenant_a, admin_a, django_capture_on_commit_callbacks)
    assert message.subject == "You are invited to ACME Maschinen on LeadRouter"
    assert "Set your password and log in" in message.body


def _offer_mail(tenant, partner):
    lead = lead_create(tenant, industry="C28", deal_value=Decimal("1234.56"), currency="EUR")
    mail.outbox.clear()
    dispatch_to(tenant, lead, [partner])
    with tenant_scope(tenant):
        offer = Offer.objects.get(lead=lead)
        mail.outbox.clear()
        notify(kind="offer_new", object_id=offer.pk)
    return mail.outbox[-1]


def test_it_sends_the_offer_in_german_with_german_amounts(german_tenant, partner_a1):
    message = _offer_mail(german_tenant, partner_a1)
    assert message.subject == "Neues Lead-Angebot: C28, München"
    assert "Ihnen wird ein neuer Lead angeboten." in message.body
    assert "Auftragswert: 1.234,56\u00a0€" in message.body
    assert "Auftragswert" in message.alternatives[0][0]


def test_it_sends_the_offer_in_english_with_english_amounts(tenant_a, partner_a1):
    message = _offer_mail(tenant_a, partner_a1)
    assert message.subject == "New lead offer: C28, München"
    assert "Deal value: €1,234.56" in message.body

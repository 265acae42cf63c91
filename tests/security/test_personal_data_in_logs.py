"""No personal data in application logs: e-mail addresses and phone numbers are masked
by the filter on the console handler (and on a Celery worker's handlers)."""

import logging

import pytest

from leadrouter.security.celery_logging import _filter_worker_logs
from leadrouter.security.log_filters import PersonalDataFilter, mask_personal_data
from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to

EMAIL = "erika.mustermann@kunde.example"
PHONE = "+49 89 1234567"


def _console_handler() -> logging.Handler:
    return next(h for h in logging.getLogger().handlers if h.get_name() == "console")


@pytest.fixture
def filtered_caplog(caplog):
    """caplog seeing records as the console handler's filters leave them."""
    for log_filter in _console_handler().filters:
        caplog.handler.addFilter(log_filter)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for log_filter in _console_handler().filters:
        caplog.handler.removeFilter(log_filter)


@pytest.mark.parametrize("text, expected", [
    (f"lead from {EMAIL}, call {PHONE}.", "lead from [email], call [phone]."),
    ("tel 089/1234567 or (089) 123 4567 or 0171-1234567", "tel [phone] or [phone] or [phone]"),
    ("0049 30 12345678", "[phone]"),
])
def test_it_masks_contact_data(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", [
    "lead 1234567 routed in 23 ms", "at 2026-03-02 11:00:30", "score 0.1234567",
    "version 0.30.0", "offer 0 of 12",
])
def test_it_leaves_ordinary_numbers_alone(text):
    assert mask_personal_data(text) == text


def test_it_is_installed_on_the_console_handler():
    assert any(isinstance(f, PersonalDataFilter) for f in _console_handler().filters)


def test_it_masks_arguments_and_exceptions(filtered_caplog):
    log = logging.getLogger("leads.test")
    log.warning("bounce from %s (%s)", EMAIL, PHONE)
    try:
        raise ValueError(f"duplicate key contact_email={EMAIL}")
    except ValueError:
        log.exception("import failed")
    text = filtered_caplog.text
    assert "bounce from [email] ([phone])" in text
    assert "duplicate key contact_email=[email]" in text
    assert EMAIL not in text and PHONE not in text


def test_it_keeps_seeded_contact_data_out_of_logs_while_leads_and_offers_are_processed(
        filtered_caplog, api_a, partner_api_a1, tenant_a, partner_a1,
        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        created = api_a.post("/api/v1/leads/", {
            "company_name": "Kunde GmbH", "country": "DE", "postal_code": "80331",
            "city": "München", "deal_value": "25000", "contact_name": "Erika Mustermann",
            "contact_email": "erika.neu@kunde.example", "contact_phone": "+49 89 7654321",
        }, format="json")
        assert created.status_code == 201
        lead = lead_create(tenant_a, contact_email=EMAIL, contact_phone=PHONE)
        dispatch_to(tenant_a, lead, [partner_a1])
        with tenant_scope(tenant_a):
            offer = Offer.objects.get(lead=lead)
        assert partner_api_a1.post(f"/api/v1/offers/{offer.pk}/accept/").status_code == 200
        assert partner_api_a1.get(f"/api/v1/leads/{lead.pk}/").status_code in (200, 404)
        # Something that logs the contact on purpose, as careless code would.
        logging.getLogger("matching.dispatch").info("accepted by partner, contact %s / %s",
                                                    EMAIL, PHONE)
    text = filtered_caplog.text
    assert filtered_caplog.records, "nothing was logged: the test would prove nothing"
    assert "contact [email] / [phone]" in text
    for secret in (EMAIL, PHONE, "erika.neu@kunde.example", "+49 89 7654321"):
        assert secret not in text


def test_it_filters_a_celery_workers_handlers():
    logger = logging.Logger("celery-worker-test")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    _filter_worker_logs(logger=logger)
    _filter_worker_logs(logger=logger)  # idempotent
    assert [type(f) for f in handler.filters] == [PersonalDataFilter]

"""An offer made on Friday evening does not expire on Saturday when the tenant counts
business hours only."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from leadrouter.tenancy.scoping import tenant_scope
from matching.models import Offer
from matching.tasks import sweep_task
from tests.factories import lead_create
from tests.offer_helpers import dispatch_to

BERLIN = ZoneInfo("Europe/Berlin")


def test_it_counts_only_business_hours_across_a_weekend(tenant_a, partner_a1):
    tenant_a.business_hours = {"weekdays": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"}
    tenant_a.sla_business_hours_only = True
    tenant_a.save()
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=BERLIN)
    with time_machine.travel(friday_evening, tick=False):
        lead = lead_create(tenant_a)
        dispatch_to(tenant_a, lead, [partner_a1], accept_sla_hours=24)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
    assert offer.expires_at.astimezone(BERLIN) == datetime(2026, 12, 2, 11, 0, tzinfo=BERLIN)
    with time_machine.travel(datetime(2026, 11, 28, 18, 0, tzinfo=BERLIN), tick=False):
        sweep_task()  # Saturday: 25 wall-clock hours later, but only 1 business hour
    with tenant_scope(tenant_a):
        assert Offer.objects.get(pk=offer.pk).status == "pending"
    with time_machine.travel(datetime(2026, 12, 2, 11, 1, tzinfo=BERLIN), tick=False):
        sweep_task()
    with tenant_scope(tenant_a):
        assert Offer.objects.get(pk=offer.pk).status == "expired"


def test_it_uses_wall_clock_hours_by_default(tenant_a, partner_a1):
    friday_evening = datetime(2026, 11, 27, 17, 0, tzinfo=BERLIN)
    with time_machine.travel(friday_evening, tick=False):
        lead = lead_create(tenant_a)
        dispatch_to(tenant_a, lead, [partner_a1], accept_sla_hours=24)
    with tenant_scope(tenant_a):
        offer = Offer.objects.get(lead=lead)
    assert offer.expires_at.astimezone(BERLIN) == datetime(2026, 11, 28, 17, 0, tzinfo=BERLIN)

"""`manage.py recompute_stats` and the nightly task rebuild statistics and tiers."""

import pytest
from django.core.management import CommandError, call_command

from feedback.models import PartnerStats, PartnerTier
from feedback.tasks import nightly_task
from leadrouter.tenancy.scoping import tenant_scope


def test_it_rebuilds_one_tenant(tenant_a, partner_a1, make_history, capsys):
    make_history(tenant_a, partner_a1, ["offered accepted won"])
    with tenant_scope(tenant_a):
        PartnerStats.objects.all().delete()
    call_command("recompute_stats", tenant="acme")
    assert "acme: 4 statistics rows" in capsys.readouterr().out
    with tenant_scope(tenant_a):
        assert PartnerStats.objects.get(partner=partner_a1, segment="", period="all").won == 1
        assert PartnerTier.objects.filter(partner=partner_a1).exists()


def test_it_refuses_an_unknown_tenant(db):
    with pytest.raises(CommandError):
        call_command("recompute_stats", tenant="nope")


def test_it_runs_nightly_for_every_tenant(tenant_a, tenant_b, partner_a1, make_history):
    make_history(tenant_a, partner_a1, ["offered rejected"])
    assert nightly_task() == 2
    with tenant_scope(tenant_a):
        assert PartnerStats.objects.get(partner=partner_a1, segment="", period="all").rejects \
            == 1

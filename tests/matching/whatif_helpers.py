"""A tenant with a few partners and routed leads, for the what-if and holdout tests."""

from leadrouter.tenancy.scoping import tenant_scope
from matching.dispatch import lead_route_and_dispatch
from tests.factories import lead_create
from tests.matching.routing_factories import profiled_partner


def routed_channel(tenant, *, leads: int = 12):
    partners = [
        profiled_partner(tenant, name="Near Maschinen", industries=["C28"],
                         competencies={"robotics": 3}, latitude=48.14, longitude=11.58),
        profiled_partner(tenant, name="Far Systeme", industries=["J62"],
                         competencies={"cloud": 3}, latitude=53.55, longitude=10.0),
        profiled_partner(tenant, name="Middle Technik", industries=["C28", "J62"],
                         competencies={"robotics": 1, "cloud": 1}, latitude=50.1,
                         longitude=8.7),
    ]
    made = []
    for k in range(leads):
        lead = lead_create(tenant, company_name=f"Kunde {k}",
                           industry="C28" if k % 2 else "J62",
                           competencies=["robotics"] if k % 2 else ["cloud"],
                           latitude=48.1, longitude=11.6)
        with tenant_scope(tenant):
            lead_route_and_dispatch(lead_id=lead.pk)
        made.append(lead)
    return partners, made

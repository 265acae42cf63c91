"""Routing a lead: the engine's decision turned into offers. (Being built — see issue 4/5.)"""


def lead_route_and_dispatch(*, lead_id: int) -> None:
    """Placeholder until the engine lands: leaves the lead as it is."""
    return None

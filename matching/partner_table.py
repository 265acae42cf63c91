"""The tenant's partners as arrays for the engine, cached and invalidated explicitly.
(Being built — see issue 4.)"""


def partner_table_invalidate(tenant_id: int) -> None:
    """Call after a change to partners, their load or their statistics."""
    return None

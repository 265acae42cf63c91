"""Offline geocoding: postal code / city → coordinates. (Being built — see issue 3.)"""


def geocode(*, country: str, postal_code: str = "", city: str = "") -> tuple[float, float] | None:
    """Coordinates for the place, or None when it is not known. Never uses the network."""
    return None

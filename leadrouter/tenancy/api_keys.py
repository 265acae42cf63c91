"""API keys: issued once in plain text, stored as a SHA-256 hash, found by their prefix.

A key looks like `lr_<prefix>_<secret>`. The prefix (public) finds the row; the secret
(32 random bytes) is compared against the stored hash in constant time. A fast hash is
right here: the secret has 256 bits of entropy, so there is nothing to brute-force, and
every API request verifies one.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from leadrouter.tenancy.models import ApiKey, Tenant
from leadrouter.tenancy.scoping import all_tenants

KEY_PREFIX = "lr"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plain_key: str  # shown once, never stored


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(*, tenant: Tenant, name: str, partner=None) -> IssuedKey:
    """Issue a key for `tenant` (or for one of its partners). Returns the plain key once."""
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey(tenant=tenant, name=name, prefix=prefix, secret_hash=_hash(secret))
        if partner is not None:
            api_key.partner = partner
        api_key.save()
    return IssuedKey(api_key=api_key, plain_key=f"{KEY_PREFIX}_{prefix}_{secret}")


def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key; the next request with it fails with 401."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])


def api_key_authenticate(plain_key: str) -> ApiKey | None:
    """The active key matching `plain_key`, or None.

    Crosses tenants on purpose: the key is what tells us the tenant.
    """
    try:
        marker, prefix, secret = plain_key.split("_", 2)
    except ValueError:
        return None
    if marker != KEY_PREFIX or not prefix or not secret:
        return None
    with all_tenants():
        api_key = (
            ApiKey.objects.select_related("tenant")
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        if api_key is None or not hmac.compare_digest(api_key.secret_hash, _hash(secret)):
            return None
        now = timezone.now()
        # Written at most once a minute so a busy integration does not write on every call.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
    return api_key

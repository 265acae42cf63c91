"""API keys: issued once in plain text, stored as a SHA-256 hash, found by their prefix.

A key looks like `lr_<prefix>_<secret>`. The prefix (public) finds the row; the secret
(32 random bytes) is compared against the stored hash in constant time. A fast hash is
right here: the secret has 256 bits of entropy, so there is nothing to brute-force, and
every API request verifies one.

Every API request needs its key, so an active key (with its tenant) is kept in the shared
cache for API_KEY_CACHE_SECONDS (60 s) under its prefix: a request then costs no query and
no cross-tenant scope. The secret is still checked against the hash on every request.
Revoking, editing or deleting a key or its tenant through the ORM (api_key_revoke, the
dashboard, the Django admin, cascades) drops the cached entry at once and again after the
commit, so the next request reads the database. Only a change behind the ORM's back (raw
SQL, `QuerySet.update()`) can go unnoticed, for at most API_KEY_CACHE_SECONDS.
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from leadrouter.cache_client import cache_get
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

    Crosses tenants on purpose (on a cache miss): the key is what tells us the tenant.
    """
    try:
        marker, prefix, secret = plain_key.split("_", 2)
    except ValueError:
        return None
    if marker != KEY_PREFIX or not prefix or not secret:
        return None
    api_key = cache_get(_cache_key(prefix))  # runs on every API request
    if api_key is None:
        api_key = _api_key_load(prefix)
        if api_key is None:
            return None  # unknown or revoked: never cached, so asked again next time
        cache.set(_cache_key(prefix), api_key, _cache_seconds())
    if not hmac.compare_digest(api_key.secret_hash, _hash(secret)):
        return None
    return api_key


def _api_key_load(prefix: str) -> ApiKey | None:
    with all_tenants():
        api_key = (
            ApiKey.objects.select_related("tenant")
            .defer("tenant__logo")  # an image, not needed to serve the API
            .filter(prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        if api_key is None:
            return None
        now = timezone.now()
        # Written at most once a minute (a key is read from the database about that often)
        # so a busy integration does not write on every call.
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
            api_key.last_used_at = now
    return api_key


# --- the cache of active keys -----------------------------------------------------------------

def _cache_seconds() -> int:
    return getattr(settings, "API_KEY_CACHE_SECONDS", 60)


# The fields in the key: a deploy that changes either model does not read older entries.
_FIELDS_STAMP = hashlib.sha256(" ".join(
    f.attname for model in (ApiKey, Tenant) for f in model._meta.concrete_fields
).encode()).hexdigest()[:8]


def _cache_key(prefix: str) -> str:
    return f"api-key:{_FIELDS_STAMP}:{prefix}"


def _cache_forget(prefixes: list[str]) -> None:
    keys = [_cache_key(prefix) for prefix in prefixes]
    if not keys:
        return
    cache.delete_many(keys)
    # Again after the commit: a request that read the old row before the commit must not
    # leave it in the cache.
    transaction.on_commit(lambda: cache.delete_many(keys))


@receiver(post_save, sender=ApiKey, dispatch_uid="api_key_cache_on_key_save")
@receiver(post_delete, sender=ApiKey, dispatch_uid="api_key_cache_on_key_delete")
def _forget_key(sender, instance: ApiKey, **kwargs) -> None:
    if kwargs.get("created"):
        return
    _cache_forget([instance.prefix])


@receiver(post_save, sender=Tenant, dispatch_uid="api_key_cache_on_tenant_save")
@receiver(post_delete, sender=Tenant, dispatch_uid="api_key_cache_on_tenant_delete")
def _forget_tenant_keys(sender, instance: Tenant, **kwargs) -> None:
    # The cached key carries its tenant (currency, duplicate window, locale, ...).
    if kwargs.get("created"):
        return
    with all_tenants():  # the tenant's own keys, whatever scope the change was made in
        prefixes = list(ApiKey.objects.filter(tenant_id=instance.pk)
                        .values_list("prefix", flat=True))
    _cache_forget(prefixes)

"""`Idempotency-Key` for API writes a client may retry (DESIGN.md §8).

    class LeadCreateView(APIView):
        @extend_schema(parameters=[IDEMPOTENCY_KEY_PARAMETER], ...)
        @idempotent
        def post(self, request): ...

- same key + same request (method, path, body) → the stored response is replayed
  (header `Idempotent-Replayed: true`), the view does not run again;
- same key + another request → 409 `idempotency_key_reused`;
- concurrent requests with one key → the view runs once. The record is inserted in the same
  transaction as the view's work, so a second request blocks on the unique index until the
  first commits, then finds the stored response and replays it (or, if the first rolled
  back, runs itself). No polling, no lock table.
Errors (exceptions, 5xx) are not stored: the transaction rolls back and the key can be retried.
Keys are per tenant; `idempotency_records_purge` drops old ones.
"""

import functools
import hashlib
import json
from collections.abc import Callable
from datetime import timedelta

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.request import Request
from rest_framework.response import Response

from leadrouter.api_errors import DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255

IDEMPOTENCY_KEY_PARAMETER = OpenApiParameter(
    name=HEADER, type=OpenApiTypes.STR, location=OpenApiParameter.HEADER, required=False,
    description="A unique key (e.g. a UUID) per logical write. Retrying with the same key and "
                "body replays the first response; the same key with another body is a 409.",
)


def request_fingerprint(request: Request) -> str:
    """SHA-256 of what makes two requests "the same": method, path and JSON body."""
    body = json.dumps(request.data, sort_keys=True, cls=DjangoJSONEncoder, default=str)
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def idempotent(view_method: Callable) -> Callable:
    """Wrap an APIView's post/put/patch so an `Idempotency-Key` header is honoured.
    Without the header the view runs as usual."""

    @functools.wraps(view_method)
    def wrapper(view, request: Request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(view, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise DomainError(gettext("%(header)s must be 1 to %(max)d characters.")
                              % {"header": HEADER, "max": MAX_KEY_LENGTH},
                              code="invalid", status_code=400,
                              fields={HEADER: [gettext("Must be 1 to 255 characters.")]})
        return _run_once(view_method, view, request, key, *args, **kwargs)

    return wrapper


def _run_once(view_method, view, request: Request, key: str, *args, **kwargs) -> Response:
    from leads.models import IdempotencyRecord

    tenant = request.auth.tenant
    fingerprint = request_fingerprint(request)
    with transaction.atomic():
        try:
            with transaction.atomic():
                # Blocks while another transaction holds an uncommitted row with this key.
                record = IdempotencyRecord.objects.create(tenant=tenant, key=key,
                                                          fingerprint=fingerprint)
        except IntegrityError:
            record = None
        if record is None:
            return _replay(key=key, fingerprint=fingerprint)
        response = view_method(view, request, *args, **kwargs)
        if response.status_code >= 500:
            transaction.set_rollback(True)
            return response
        record.status_code = response.status_code
        record.body = response.data
        record.save(update_fields=["status_code", "body"])
        return response


def _replay(*, key: str, fingerprint: str) -> Response:
    from leads.models import IdempotencyRecord

    record = IdempotencyRecord.objects.filter(key=key).first()
    if record is None or record.fingerprint != fingerprint:
        raise DomainError(
            gettext("This %(header)s was already used for a different request. Use a new "
                    "key for a new request.") % {"header": HEADER},
            code="idempotency_key_reused", status_code=409)
    if record.status_code is None:
        raise DomainError(gettext("A request with this %(header)s is still being processed.")
                          % {"header": HEADER},
                          code="idempotency_in_progress", status_code=409)
    return Response(record.body, status=record.status_code,
                    headers={"Idempotent-Replayed": "true"})


def idempotency_records_purge(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Delete the current tenant's records older than `older_than`; returns how many."""
    from leads.models import IdempotencyRecord

    cutoff = timezone.now() - older_than
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted

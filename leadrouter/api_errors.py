"""One JSON shape for every API error (DESIGN.md §8):

    {"error": {"code": "...", "message": "...", "fields": {"field": ["problem", ...]}}}
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler


# The shape every error answer has, for the schema (see exception_handler below).
class ApiErrorBody(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    fields = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="field → problems")


class ApiErrorOutput(serializers.Serializer):
    error = ApiErrorBody()


class DomainError(Exception):
    """A request that is well-formed but cannot be carried out (e.g. offer already taken).

    Services raise it with a message a user can act on; the API maps it to `status_code`.
    """

    code = "conflict"
    status_code = status.HTTP_409_CONFLICT

    def __init__(self, message: str, *, code: str | None = None, status_code: int | None = None,
                 fields: dict | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}
        if code:
            self.code = code
        if status_code:
            self.status_code = status_code


def _flatten(detail) -> dict:
    """{field: [messages]}: every value a list of strings. An error inside a nested object or
    list item stays under its top-level field, its position in front of the message
    (`territories`: ["[1].postal_prefixes: Enter digits only."])."""
    if not isinstance(detail, dict):
        return {}
    return {str(name): _messages(value) for name, value in detail.items()}


def _located(value, where: str = "") -> list[str]:
    if isinstance(value, dict):
        return [m for key, item in value.items() for m in _located(item, f"{where}.{key}")]
    if isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
        return [m for i, item in enumerate(value) for m in _located(item, f"{where}[{i}]")]
    messages = value if isinstance(value, list) else [value]
    prefix = f"{where.lstrip('.')}: " if where else ""
    return [f"{prefix}{message}" for message in messages if message not in (None, "")]


def _messages(value) -> list[str]:
    return _located(value)


def error_response(code: str, message: str, status_code: int, fields: dict | None = None,
                   headers: dict | None = None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    return Response(body, status=status_code, headers=headers)


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        return error_response(exc.code, exc.message, exc.status_code, _flatten(exc.fields))
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail) if isinstance(exc.detail, dict) else {}
        fields = {name: problems for name, problems in fields.items() if problems}
        non_field = fields.pop("non_field_errors", None)
        if fields:
            names = ", ".join(fields)
            message = gettext("Invalid input in: %(names)s.") % {"names": names}
        elif non_field:
            message = " ".join(non_field)
        else:
            message = " ".join(_messages(exc.detail)) or gettext("Invalid input.")
        return error_response("invalid", message, response.status_code, fields,
                              headers=_passthrough_headers(response))

    code = getattr(exc, "default_code", "error")
    detail = exc.detail if hasattr(exc, "detail") else str(exc)
    message = str(detail) if not isinstance(detail, (dict, list)) else str(exc)
    return error_response(code, message, response.status_code,
                          headers=_passthrough_headers(response))


def _passthrough_headers(response: Response) -> dict:
    return {
        name: response[name]
        for name in ("WWW-Authenticate", "Retry-After", "Allow")
        if response.has_header(name)
    }

"""Input the database cannot store is refused at the door of the API, with a clear 400,
instead of failing deep inside (PostgreSQL text cannot hold NUL characters)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext


class ApiInputGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and _has_nul(request):
            return JsonResponse({"error": {
                "code": "invalid",
                "message": gettext("The request contains a NUL character (\\u0000), "
                                   "which no field accepts."),
                "fields": {},
            }}, status=400)
        return self.get_response(request)


def _has_nul(request: HttpRequest) -> bool:
    if any("\x00" in key or any("\x00" in value for value in request.GET.getlist(key))
           for key in request.GET):
        return True
    if request.method in ("POST", "PUT", "PATCH"):
        body = request.body
        return b"\x00" in body or b"\\u0000" in body
    return False

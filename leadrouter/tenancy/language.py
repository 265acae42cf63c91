"""Which language a request, a page or an e-mail is in.

Order for a signed-in person: their own preference (UserPreference.language), else their
tenant's locale (Tenant.locale), else the browser's (cookie, then Accept-Language, picked by
Django's LocaleMiddleware). API requests: Accept-Language when the client sends it, else the
key's tenant locale. E-mails: the recipient's preference, else the tenant's locale.

The preference is copied into the session at login (and when changed), so pages do not pay a
query for it on every request.
"""

from collections.abc import Callable

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from leadrouter.tenancy.models import Tenant, UserPreference

SESSION_LANGUAGE_KEY = "lr_language"


def language_supported(code: str | None) -> str | None:
    """The supported language for `code` ("de", "de-DE", "DE_at" → "de"), or None."""
    if not code:
        return None
    code = code.strip().lower().replace("_", "-")
    supported = {lang for lang, _name in settings.LANGUAGES}
    if code in supported:
        return code
    base = code.split("-", 1)[0]
    return base if base in supported else None


def tenant_language(tenant: Tenant | None) -> str | None:
    """The tenant's locale when it is a supported language."""
    return language_supported(tenant.locale) if tenant is not None else None


def user_language(user) -> str | None:
    """The person's own choice, or None when they follow the tenant (one query)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.pk:
        return None
    language = (UserPreference.objects.filter(user=user)
                .values_list("language", flat=True).first())
    return language_supported(language)


def language_for_recipient(*, tenant: Tenant | None, user=None) -> str:
    """The language of an e-mail: the recipient's preference, else the tenant's locale."""
    return user_language(user) or tenant_language(tenant) or settings.LANGUAGE_CODE


def user_language_set(*, user, language: str) -> UserPreference:
    """Store a person's language; "" (or an unsupported code) means: follow the tenant."""
    preference, _created = UserPreference.objects.update_or_create(
        user=user, defaults={"language": language_supported(language) or ""})
    return preference


def language_for_request(request: HttpRequest) -> str:
    """The language of this request (see the module docstring for the order)."""
    browser = language_supported(translation.get_language_from_request(request)) \
        or settings.LANGUAGE_CODE
    tenant = getattr(request, "tenant", None)
    if getattr(request, "api_key", None) is not None:
        if request.headers.get("Accept-Language"):
            return browser
        return tenant_language(tenant) or browser
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        session = getattr(request, "session", None)
        if session is not None and SESSION_LANGUAGE_KEY in session:
            preference = language_supported(session[SESSION_LANGUAGE_KEY])
        else:
            preference = user_language(user)
            if session is not None:
                session[SESSION_LANGUAGE_KEY] = preference or ""
        return preference or tenant_language(tenant) or browser
    return browser


class LanguageMiddleware:
    """Activates the request's language. Sits after TenantScopeMiddleware (it needs the
    tenant); Django's LocaleMiddleware before it has already read the browser's choice and
    sets Content-Language on the way out."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        return self.get_response(request)


@receiver(user_logged_in, dispatch_uid="tenancy_language_on_login")
def _language_on_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SESSION_LANGUAGE_KEY] = user_language(user) or ""


@login_not_required
@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The header's language form: stores the choice (signed in: as the person's
    preference; "" follows the tenant) and remembers it in a cookie for the login page."""
    language = language_supported(request.POST.get("language", "")) or ""
    next_url = request.POST.get("next") or request.headers.get("Referer") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if request.user.is_authenticated:
        user_language_set(user=request.user, language=language)
        request.session[SESSION_LANGUAGE_KEY] = language
    if language:
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language,
                            max_age=settings.LANGUAGE_COOKIE_AGE or 365 * 86400,
                            samesite="Lax", httponly=True)
    else:
        response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
    return response

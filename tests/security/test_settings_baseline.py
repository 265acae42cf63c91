"""The security settings others rely on stay wired in."""

from django.conf import settings


def test_it_puts_the_login_throttle_first_among_the_backends():
    first = settings.AUTHENTICATION_BACKENDS[0]
    assert first == "leadrouter.security.backends.LoginThrottleBackend"


def test_it_runs_the_lockout_middleware_last_and_the_csp_middleware_early():
    assert settings.MIDDLEWARE[-1] == "axes.middleware.AxesMiddleware"
    assert settings.MIDDLEWARE.index("leadrouter.security.csp.ContentSecurityPolicyMiddleware") \
        < settings.MIDDLEWARE.index("leadrouter.tenancy.middleware.TenantScopeMiddleware")


def test_it_throttles_the_api_per_key():
    assert "leadrouter.security.throttling.ApiKeyRateThrottle" in \
        settings.REST_FRAMEWORK["DEFAULT_THROTTLE_CLASSES"]


def test_it_hashes_passwords_with_argon2_first():
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")

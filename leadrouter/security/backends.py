"""Login throttling (django-axes) for the logins that come through a web request."""

from axes.backends import AxesStandaloneBackend


class LoginThrottleBackend(AxesStandaloneBackend):
    """Refuses logins of a username+IP that is locked out; authenticates nobody itself.

    django-axes insists on a request. Authentication without one (management commands,
    `authenticate()` in scripts) has no client to throttle, so it passes on to the next
    backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)

from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "leadrouter.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # Connect the connection_created receiver (RLS setting) and the login audit.
        # The language preference is copied into the session at login. A changed or
        # revoked API key leaves the key cache (api_keys).
        from leadrouter.tenancy import (  # noqa: F401
            api_keys,  # noqa: F401
            language,  # noqa: F401
            scoping,
            signals,
        )

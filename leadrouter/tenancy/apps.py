from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "leadrouter.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # Connect the connection_created receiver (RLS setting) and the login audit.
        from leadrouter.tenancy import scoping, signals  # noqa: F401

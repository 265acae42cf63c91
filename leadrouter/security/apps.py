from django.apps import AppConfig


class SecurityConfig(AppConfig):
    name = "leadrouter.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # Login failures go to the audit trail; Celery's own log handlers get the PII filter.
        from leadrouter.security import celery_logging, signals  # noqa: F401

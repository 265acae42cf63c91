"""Nightly retention run (Celery beat): closed leads past their tenant's retention period are
anonymised. Thin: discovery across tenants and the per-tenant work live in leads.privacy."""

from celery import shared_task


@shared_task(name="leads.anonymise_expired", acks_late=True)
def anonymise_expired() -> dict:
    """Anonymise every tenant's expired closed leads; tenant id → how many. Idempotent:
    an anonymised lead is not picked again."""
    from leads.privacy import anonymise_expired_all

    return {str(tenant_id): count for tenant_id, count in anonymise_expired_all().items()}

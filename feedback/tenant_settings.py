"""The tenant's feedback settings: tier thresholds and threshold rules."""

from django.db import IntegrityError, transaction

from feedback.models import TenantFeedbackSettings
from leadrouter.tenancy.models import Tenant


def feedback_settings_get(*, tenant: Tenant | int) -> TenantFeedbackSettings:
    """The tenant's settings row; created with the defaults on first use."""
    tenant_id = tenant if isinstance(tenant, int) else tenant.pk
    found = TenantFeedbackSettings.objects.filter(tenant_id=tenant_id).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return TenantFeedbackSettings.objects.create(tenant_id=tenant_id)
    except IntegrityError:  # created concurrently
        return TenantFeedbackSettings.objects.get(tenant_id=tenant_id)

from django import forms

from feedback.models import TenantFeedbackSettings
from feedback.services import SETTINGS_FIELDS


class FeedbackSettingsForm(forms.ModelForm):
    class Meta:
        model = TenantFeedbackSettings
        fields = list(SETTINGS_FIELDS)

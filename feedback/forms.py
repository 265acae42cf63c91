from django import forms
from django.utils.translation import gettext_lazy as _

from feedback.models import TenantFeedbackSettings
from feedback.services import SETTINGS_FIELDS


class FeedbackSettingsForm(forms.ModelForm):
    class Meta:
        model = TenantFeedbackSettings
        fields = list(SETTINGS_FIELDS)
        labels = {
            "window_days": _("Window (days)"),
            "rule_tier": _("Rule: promote / demote"),
            "rule_pause": _("Rule: pause after expiries"),
            "pause_after_expiries": _("Pause after expired offers"),
            "rule_alert": _("Rule: performance alert"),
            "alert_accept_rate_below": _("Alert when the accept rate is below"),
            "alert_conversion_below": _("Alert when the conversion is below"),
            "alert_min_answered": _("Alert only after answered offers"),
            "rule_boost": _("Rule: fast-closer boost"),
            "boost_close_days": _("Boost when the median close is within (days)"),
            "boost_min_won": _("Boost only after won leads"),
            "boost_factor": _("Boost factor"),
        }

"""API v1 routes of the feedback app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import path

from feedback.api import PartnerStatsView

urlpatterns = [
    path("partners/<int:pk>/stats/", PartnerStatsView.as_view(), name="api-partner-stats"),
]

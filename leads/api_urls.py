"""API v1 routes of the leads app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import include, path

from leads import api

urlpatterns = [
    path("leads/", api.LeadListCreateView.as_view(), name="api-leads"),
    path("leads/bulk/", api.LeadBulkView.as_view(), name="api-leads-bulk"),
    path("leads/<int:id>/", api.LeadDetailView.as_view(), name="api-lead"),
    path("", include("leads.privacy_api_urls")),
]

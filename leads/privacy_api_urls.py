"""API v1 routes of GDPR requests (included by leads/api_urls.py)."""

from django.urls import path

from leads import privacy_api

urlpatterns = [
    path("leads/<int:id>/export/", privacy_api.LeadExportView.as_view(), name="api-lead-export"),
    path("leads/<int:id>/erase/", privacy_api.LeadEraseView.as_view(), name="api-lead-erase"),
]

"""API v1 routes of the partners app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import path

from partners import api

urlpatterns = [
    path("partners/", api.PartnerListView.as_view(), name="api-partners"),
    path("partners/<int:id>/", api.PartnerDetailView.as_view(),
         name="api-partner-detail"),
    path("taxonomy/<str:kind>/", api.TaxonomyView.as_view(), name="api-taxonomy"),
]

"""API v1 routes of the partners app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import path

from partners import api, onboarding_api

urlpatterns = [
    path("partners/", api.PartnerListView.as_view(), name="api-partners"),
    path("partners/<int:id>/", api.PartnerDetailView.as_view(),
         name="api-partner-detail"),
    path("partners/<int:id>/change-requests/", onboarding_api.ChangeRequestListView.as_view(),
         name="api-partner-change-requests"),
    path("partners/<int:id>/change-requests/<int:change_id>/",
         onboarding_api.ChangeRequestDetailView.as_view(), name="api-partner-change-request"),
    path("partners/<int:id>/change-requests/<int:change_id>/approve/",
         onboarding_api.ChangeRequestApproveView.as_view(),
         name="api-partner-change-request-approve"),
    path("partners/<int:id>/change-requests/<int:change_id>/reject/",
         onboarding_api.ChangeRequestRejectView.as_view(),
         name="api-partner-change-request-reject"),
    path("taxonomy/<str:kind>/", api.TaxonomyView.as_view(), name="api-taxonomy"),
]

from django.urls import path

from matching import offers_api

urlpatterns = [
    path("offers/", offers_api.OfferListView.as_view(), name="api-offers"),
    path("offers/<int:pk>/accept/", offers_api.OfferAcceptView.as_view(),
         name="api-offer-accept"),
    path("offers/<int:pk>/reject/", offers_api.OfferRejectView.as_view(),
         name="api-offer-reject"),
    path("leads/<int:pk>/outcome/", offers_api.LeadOutcomeView.as_view(),
         name="api-lead-outcome"),
    path("webhooks/", offers_api.WebhookListView.as_view(), name="api-webhooks"),
    path("webhooks/<int:pk>/", offers_api.WebhookDetailView.as_view(), name="api-webhook"),
]

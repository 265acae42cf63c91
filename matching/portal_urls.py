from django.urls import path

from matching import portal_views

urlpatterns = [
    path("portal/", portal_views.inbox, name="portal"),
    path("portal/offers/<int:offer_id>/", portal_views.offer_detail, name="portal-offer"),
    path("portal/offers/<int:offer_id>/accept/", portal_views.offer_accept_view,
         name="portal-offer-accept"),
    path("portal/offers/<int:offer_id>/reject/", portal_views.offer_reject_view,
         name="portal-offer-reject"),
    path("portal/leads/", portal_views.my_leads, name="portal-leads"),
    path("portal/leads/<int:lead_id>/", portal_views.lead_detail, name="portal-lead"),
    path("portal/leads/<int:lead_id>/outcome/", portal_views.lead_outcome_view,
         name="portal-lead-outcome"),
]

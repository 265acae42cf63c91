"""Pages of the partners app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from partners import views

app_name = "partners"
urlpatterns = [
    path("partners/", views.partner_list, name="list"),
    path("partners/new/", views.partner_new, name="new"),
    path("partners/<int:partner_id>/", views.partner_detail, name="detail"),
    path("partners/<int:partner_id>/edit/", views.partner_edit, name="edit"),
    path("partners/<int:partner_id>/pause/", views.partner_pause, name="pause"),
    path("partners/<int:partner_id>/resume/", views.partner_resume, name="resume"),
    path("partners/<int:partner_id>/offboard/", views.partner_offboard, name="offboard"),
    path("portal/profile/", views.portal_profile, name="portal-profile"),
]

"""Pages of the partners app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from partners import onboarding_views, views

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
    # Partner onboarding (partners/onboarding_views.py)
    path("partners/<int:partner_id>/users/", onboarding_views.partner_users, name="users"),
    path("partners/changes/", onboarding_views.change_list, name="changes"),
    path("partners/changes/<int:change_id>/approve/", onboarding_views.change_approve,
         name="change-approve"),
    path("partners/changes/<int:change_id>/reject/", onboarding_views.change_reject,
         name="change-reject"),
    path("portal/profile/edit/", onboarding_views.portal_profile_edit,
         name="portal-profile-edit"),
    path("portal/profile/changes/<int:change_id>/", onboarding_views.portal_change_detail,
         name="portal-change"),
]

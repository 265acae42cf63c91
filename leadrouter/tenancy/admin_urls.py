"""Tenant administration pages (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from leadrouter.tenancy import admin_views

urlpatterns = [
    path("settings/", admin_views.tenant_settings, name="tenant-settings"),
    path("settings/users/", admin_views.tenant_users, name="tenant-users"),
    path("settings/users/<int:membership_id>/role/", admin_views.tenant_user_role,
         name="tenant-user-role"),
    path("settings/users/<int:membership_id>/remove/", admin_views.tenant_user_remove,
         name="tenant-user-remove"),
    path("settings/invitations/<int:invitation_id>/revoke/",
         admin_views.tenant_invitation_revoke, name="tenant-invitation-revoke"),
    path("settings/api-keys/", admin_views.tenant_api_keys, name="tenant-api-keys"),
    path("settings/api-keys/<int:api_key_id>/revoke/", admin_views.tenant_api_key_revoke_view,
         name="tenant-api-key-revoke"),
    path("invite/<str:token>/", admin_views.invitation_accept_page, name="invitation-accept"),
]

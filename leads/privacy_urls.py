"""Manager pages of GDPR requests on a lead (included at the site root by leadrouter/urls.py)."""

from django.urls import path

from leads import privacy_views

app_name = "privacy"
urlpatterns = [
    path("leads/<int:lead_id>/privacy/", privacy_views.lead_privacy, name="lead"),
    path("leads/<int:lead_id>/privacy/export/", privacy_views.lead_privacy_export,
         name="export"),
    path("leads/<int:lead_id>/privacy/erase/", privacy_views.lead_privacy_erase, name="erase"),
]

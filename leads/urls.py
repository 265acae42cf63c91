"""Pages of the leads app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from leads import views

app_name = "leads"
urlpatterns = [
    path("leads/", views.lead_list, name="list"),
    path("leads/new/", views.lead_new, name="new"),
    path("leads/import/", views.lead_import, name="import"),
    path("leads/import/<int:job_id>/", views.lead_import_job, name="import-job"),
    path("leads/<int:lead_id>/", views.lead_detail, name="detail"),
    path("f/<str:form_key>/", views.public_form, name="public-form"),
    path("f/<str:form_key>/thanks/", views.public_form_thanks, name="public-form-thanks"),
]

from django.urls import path

from leadrouter.tenancy import audit_views

urlpatterns = [
    path("settings/audit/", audit_views.audit_log, name="audit-log"),
]

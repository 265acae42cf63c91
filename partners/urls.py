"""Pages of the partners app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path  # noqa: F401

app_name = "partners"
urlpatterns: list = []

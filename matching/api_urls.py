"""API v1 routes of the matching app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []

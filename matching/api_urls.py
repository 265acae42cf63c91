"""API v1 routes of the matching app (mounted under /api/v1/ by leadrouter/urls.py)."""

from django.urls import path

from matching.api import RoutingPolicyView

urlpatterns: list = [
    path("routing-policy/", RoutingPolicyView.as_view(), name="api-routing-policy"),
]

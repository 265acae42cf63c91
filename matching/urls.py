"""Pages of the matching app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from matching import policy_views

app_name = "matching"
urlpatterns: list = [
    path("routing-policy/", policy_views.policy_edit, name="policy"),
]

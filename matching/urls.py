"""Pages of the matching app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from matching import policy_views

app_name = "matching"
urlpatterns: list = [
    path("routing-policy/", policy_views.policy_edit, name="policy"),
    path("routing-policy/whatif/", policy_views.policy_whatif_start, name="policy-whatif-start"),
    path("routing-policy/whatif/<int:run_id>/", policy_views.policy_whatif,
         name="policy-whatif"),
    path("routing-policy/holdout/", policy_views.policy_holdout, name="policy-holdout"),
]

"""Pages of the feedback app (mounted at the site root by leadrouter/urls.py)."""

from django.urls import path

from feedback import views

app_name = "feedback"
urlpatterns = [
    path("insights/", views.overview, name="overview"),
    path("insights/partners/", views.leaderboard, name="leaderboard"),
    path("insights/partners/<int:partner_id>/", views.partner_detail, name="partner"),
    path("insights/romi/", views.romi, name="romi"),
    path("insights/tiers/", views.tiers, name="tiers"),
    path("insights/actions/<int:action_id>/reverse/", views.action_reverse,
         name="action-reverse"),
    path("insights/recompute/", views.recompute, name="recompute"),
    path("portal/performance/", views.portal_performance, name="portal-performance"),
]

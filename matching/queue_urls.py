from django.urls import path

from matching import queue_views

urlpatterns = [
    path("queue/", queue_views.queue, name="unrouted"),
    path("queue/<int:lead_id>/", queue_views.queue_action, name="queue-action"),
    path("settings/webhooks/", queue_views.webhooks_page, name="webhooks"),
    path("settings/webhooks/<int:webhook_id>/", queue_views.webhook_action,
         name="webhook-action"),
]

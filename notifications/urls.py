from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
    path("live/", views.notification_live, name="live"),
    path("settings/", views.notification_settings, name="settings"),
    path("telegram/link/", views.telegram_link, name="telegram_link"),
    path("telegram/unlink/", views.telegram_unlink, name="telegram_unlink"),
    path("outbox/<int:pk>/retry/", views.outbox_retry_view, name="outbox_retry"),
]

from django.urls import path

from notifications import views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
    path("outbox/<int:pk>/retry/", views.outbox_retry_view, name="outbox_retry"),
]

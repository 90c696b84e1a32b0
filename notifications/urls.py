from django.urls import path

from notifications import notice_views, views

app_name = "notifications"
urlpatterns = [
    path("", views.notification_list, name="list"),
    path("read/", views.notification_read_all, name="read_all"),
    path("live/", views.notification_live, name="live"),
    path("settings/", views.notification_settings, name="settings"),
    path("telegram/link/", views.telegram_link, name="telegram_link"),
    path("telegram/unlink/", views.telegram_unlink, name="telegram_unlink"),
    path("outbox/<int:pk>/retry/", views.outbox_retry_view, name="outbox_retry"),
    path("notices/", notice_views.notice_template_list, name="notice_template_list"),
    path("notices/<int:pk>/", notice_views.notice_template_edit, name="notice_template_edit"),
    path("notices/busy/", notice_views.busy_reply_list, name="busy_reply_list"),
    path("notices/busy/<int:team_pk>/", notice_views.busy_reply_edit, name="busy_reply_edit"),
    path("notices/company/<int:pk>/", notice_views.company_notices_edit, name="company_notices"),
]

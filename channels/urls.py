from django.urls import path

from channels import views

app_name = "channels"
urlpatterns = [
    path("mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", views.mailbox_edit, name="mailbox_create"),
    path("mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("inbound/failed/", views.inbound_failed_list, name="inbound_failed_list"),
    path("inbound/upload/", views.inbound_upload_view, name="inbound_upload"),
    path("inbound/<int:pk>/", views.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/eml/", views.inbound_download, name="inbound_download"),
    path("inbound/<int:pk>/process/", views.inbound_process_again, name="inbound_process_again"),
]

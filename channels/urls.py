from django.urls import path

from channels.telephony import views as telephony
from channels.views import mail_admin, mailbox_test, telegram_admin, telegram_webhook, whatsapp_admin, whatsapp_webhook

app_name = "channels"
urlpatterns = [
    path("mailboxes/", mail_admin.mailbox_list, name="mailbox_list"),
    path("mailboxes/new/", mail_admin.mailbox_edit, name="mailbox_create"),
    path("mailboxes/<int:pk>/", mail_admin.mailbox_edit, name="mailbox_edit"),
    path("mailboxes/<int:pk>/test/", mailbox_test.mailbox_test_view, name="mailbox_test"),
    path("mailboxes/new/test/", mailbox_test.mailbox_test_view, name="mailbox_test_new"),
    path("telegram/", telegram_admin.telegram_bot_list, name="telegram_bot_list"),
    path("telegram/new/", telegram_admin.telegram_bot_edit, name="telegram_bot_create"),
    path("telegram/<int:pk>/", telegram_admin.telegram_bot_edit, name="telegram_bot_edit"),
    path("telegram/<int:pk>/register/", telegram_admin.telegram_bot_register, name="telegram_bot_register"),
    path("telegram/<int:bot_id>/webhook/", telegram_webhook.telegram_webhook, name="telegram_webhook"),
    path("whatsapp/", whatsapp_admin.whatsapp_account_list, name="whatsapp_account_list"),
    path("whatsapp/new/", whatsapp_admin.whatsapp_account_edit, name="whatsapp_account_create"),
    path("whatsapp/<int:pk>/", whatsapp_admin.whatsapp_account_edit, name="whatsapp_account_edit"),
    path("whatsapp/<int:pk>/test/", whatsapp_admin.whatsapp_account_test_view, name="whatsapp_account_test"),
    path("whatsapp/<int:account_id>/webhook/", whatsapp_webhook.whatsapp_webhook, name="whatsapp_webhook"),
    path("inbound/failed/", mail_admin.inbound_failed_list, name="inbound_failed_list"),
    path("inbound/upload/", mail_admin.inbound_upload_view, name="inbound_upload"),
    path("inbound/<int:pk>/", mail_admin.inbound_detail, name="inbound_detail"),
    path("inbound/<int:pk>/eml/", mail_admin.inbound_download, name="inbound_download"),
    path("inbound/<int:pk>/process/", mail_admin.inbound_process_again, name="inbound_process_again"),
    path("inbound/<int:pk>/set-aside/", mail_admin.inbound_set_aside, name="inbound_set_aside"),
    path("telephony/ringing/", telephony.ringing, name="telephony_ringing"),
    path("telephony/<slug:provider>/", telephony.telephony_webhook, name="telephony_webhook"),
    path("telephony/<slug:provider>/<path:rest>", telephony.telephony_webhook, name="telephony_webhook_path"),
]

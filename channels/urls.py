from django.urls import path

from channels.views import mailbox_test

app_name = "channels"
urlpatterns = [
    path("<int:pk>/test/", mailbox_test.mailbox_test_view, name="mailbox_test"),
]

"""The client's page of a request, reached from the link in a notice (no sign-in: the link is signed)."""

from django.urls import path

from notifications import public_views

app_name = "notices"
urlpatterns = [path("<str:token>/", public_views.notice_ticket, name="ticket")]

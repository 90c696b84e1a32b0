from django.urls import path

from channels.webform import views

app_name = "webform"
urlpatterns = [
    path("", views.request_form, name="form"),
    path("<str:token>/", views.request_track, name="track"),
]

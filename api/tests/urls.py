"""The API alone, mounted where config/urls.py mounts it: the API's tests do not depend on the UI
apps' URL modules, which change in parallel with the API."""

from django.urls import include, path

urlpatterns = [path("api/", include("api.urls"))]

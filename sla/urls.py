from django.urls import path

from sla.views import calendars, index, policies, report

app_name = "sla"
urlpatterns = [
    path("", index.sla_index, name="index"),
    *calendars.urlpatterns,
    *policies.urlpatterns,
    *report.urlpatterns,
]

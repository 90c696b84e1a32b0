from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("<int:pk>/", views.job_detail, name="job_detail"),
    path("<int:pk>/columns/", views.job_mapping, name="job_mapping"),
    path("<int:pk>/progress/", views.job_progress, name="job_progress"),
    path("<int:pk>/errors.csv", views.job_errors_csv, name="job_errors_csv"),
    path("<int:pk>/<slug:action>/", views.job_action, name="job_action"),
    path("export/<slug:resource>.<slug:file_format>", views.export, name="export"),
]

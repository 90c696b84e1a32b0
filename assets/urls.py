from django.urls import path

from assets import views

app_name = "assets"
urlpatterns = [
    path("", views.equipment_list, name="equipment_list"),
    path("new/", views.equipment_edit, name="equipment_create"),
    path("labels.pdf", views.labels, name="labels"),
    path("<int:pk>/", views.equipment_detail, name="equipment_detail"),
    path("<int:pk>/edit/", views.equipment_edit, name="equipment_edit"),
    path("<int:pk>/documents/", views.document_upload, name="document_upload"),
    path("documents/<int:pk>/", views.document_download, name="document_download"),
]

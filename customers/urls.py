from django.urls import path

from customers import views

app_name = "customers"
urlpatterns = [
    path("companies/", views.company_list, name="company_list"),
    path("companies/new/", views.company_edit, name="company_create"),
    path("companies/<int:pk>/", views.company_detail, name="company_detail"),
    path("companies/<int:pk>/edit/", views.company_edit, name="company_edit"),
    path("companies/<int:company_pk>/sites/new/", views.site_edit, name="site_create"),
    path("companies/<int:company_pk>/sites/<int:pk>/", views.site_edit, name="site_edit"),
    path("contacts/", views.contact_list, name="contact_list"),
    path("contacts/new/", views.contact_edit, name="contact_create"),
    path("contacts/<int:pk>/", views.contact_detail, name="contact_detail"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/verify/", views.contact_verify, name="contact_verify"),
]

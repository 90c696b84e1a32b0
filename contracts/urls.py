from django.urls import path

from contracts import views

app_name = "contracts"
urlpatterns = [
    path("", views.contract_list, name="contract_list"),
    path("new/", views.contract_edit, name="contract_create"),
    path("<int:pk>/", views.contract_detail, name="contract_detail"),
    path("<int:pk>/edit/", views.contract_edit, name="contract_edit"),
    path("price-lists/", views.price_list_list, name="price_list_list"),
    path("price-lists/new/", views.price_list_edit, name="price_list_create"),
    path("price-lists/<int:pk>/", views.price_list_edit, name="price_list_edit"),
    path("tickets/<int:number>/works/", views.work_add, name="work_add"),
    path("tickets/<int:number>/works/form/", views.work_form, name="work_form"),
    path("tickets/<int:number>/works/<int:pk>/delete/", views.work_delete, name="work_delete"),
]

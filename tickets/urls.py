from django.urls import path

from tickets.views import admin_views, queue, search, ticket

app_name = "tickets"
urlpatterns = [
    path("", queue.queue_view, name="queue"),
    path("rows/", queue.queue_rows, name="queue_rows"),
    path("filters/", queue.queue_filters, name="queue_filters"),
    path("bulk/", queue.bulk_action, name="bulk"),
    path("views/save/", queue.saved_view_save, name="saved_view_save"),
    path("views/<int:pk>/delete/", queue.saved_view_delete, name="saved_view_delete"),
    path("new/", ticket.ticket_create_view, name="create"),
    path("contacts/lookup/", ticket.contact_lookup, name="contact_lookup"),
    path("new/object/", ticket.intake_object, name="intake_object"),
    path("search/", search.search_view, name="search"),
    path("<int:number>/", ticket.ticket_detail, name="detail"),
    path("<int:number>/live/", ticket.ticket_live, name="live"),
    path("<int:number>/reply/", ticket.ticket_reply, name="reply"),
    path("<int:number>/update/", ticket.ticket_update_view, name="update"),
    path("<int:number>/links/", ticket.ticket_links_view, name="links"),
    path("<int:number>/merge/", ticket.ticket_merge_view, name="merge"),
    path("attachments/<int:pk>/", ticket.attachment_download, name="attachment"),
    path("settings/", admin_views.settings_index, name="settings"),
    path("settings/<str:kind>/", admin_views.reference_list, name="reference_list"),
    path("settings/<str:kind>/new/", admin_views.reference_edit, name="reference_create"),
    path("settings/<str:kind>/<int:pk>/", admin_views.reference_edit, name="reference_edit"),
]

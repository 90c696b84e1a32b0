from django.urls import include, path

from channels.webform.views import widget_js
from tickets.views.home import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/", include("accounts.urls")),
    path("tickets/", include("tickets.urls")),
    path("customers/", include("customers.urls")),
    path("equipment/", include("assets.urls")),
    path("contracts/", include("contracts.urls")),
    path("sla/", include("sla.urls")),
    path("automation/", include("automation.urls")),
    path("notifications/", include("notifications.urls")),
    path("imports/", include("imports.urls")),
    path("channels/", include("channels.urls")),
    path("portal/", include("portal.urls")),
    path("automation/", include("automation.urls_assignment")),
    path("api/", include("api.urls")),
    path("request/", include("channels.webform.urls")),
    path("notices/", include("notifications.public_urls")),
    path("widget.js", widget_js, name="widget_js"),
]

handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
handler403 = "core.views.forbidden"

from django.urls import path

from accounts.views import logout_view
from portal.views import auth, qr, tickets

app_name = "portal"
urlpatterns = [
    path("", tickets.ticket_list, name="ticket_list"),
    path("new/", tickets.ticket_create_view, name="ticket_create"),
    path("tickets/<int:number>/", tickets.ticket_detail, name="ticket_detail"),
    path("qr/<str:token>/", qr.qr_entry, name="qr"),
    path("login/", auth.login_view, name="login"),
    path("login/link/<str:token>/", auth.magic_link_view, name="magic_link"),
    # Logging out is the same for everyone; accounts' view sends clients back to portal:login.
    path("logout/", logout_view, name="logout"),
]

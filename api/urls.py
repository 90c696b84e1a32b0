"""REST API: /api/v1/… resources, the OpenAPI schema at /api/schema/ and its docs at /api/docs/."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView

from api.views import (
    articles,
    auth,
    companies,
    contacts,
    docs,
    reference,
    sites,
    teams,
    tickets,
    users,
)

app_name = "api"
urlpatterns = [
    path("v1/auth/token/", auth.TokenView.as_view(), name="token"),
    path("v1/tickets/", tickets.TicketListCreateView.as_view(), name="ticket-list"),
    path("v1/tickets/<int:number>/", tickets.TicketDetailView.as_view(), name="ticket-detail"),
    path("v1/tickets/<int:number>/articles/", articles.TicketArticleListCreateView.as_view(), name="ticket-articles"),
    path(
        "v1/tickets/<int:number>/attachments/<int:attachment_id>/",
        articles.TicketAttachmentView.as_view(),
        name="ticket-attachment",
    ),
    path("v1/companies/", companies.CompanyListCreateView.as_view(), name="company-list"),
    path("v1/companies/<int:company_id>/", companies.CompanyDetailView.as_view(), name="company-detail"),
    path("v1/contacts/", contacts.ContactListCreateView.as_view(), name="contact-list"),
    path("v1/contacts/<int:contact_id>/", contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("v1/sites/", sites.SiteListCreateView.as_view(), name="site-list"),
    path("v1/sites/<int:site_id>/", sites.SiteDetailView.as_view(), name="site-detail"),
    path("v1/users/", users.UserListView.as_view(), name="user-list"),
    path("v1/users/me/", users.UserMeView.as_view(), name="user-me"),
    path("v1/users/<int:user_id>/", users.UserDetailView.as_view(), name="user-detail"),
    path("v1/teams/", teams.TeamListView.as_view(), name="team-list"),
    path("v1/teams/<int:team_id>/", teams.TeamDetailView.as_view(), name="team-detail"),
    path("v1/statuses/", reference.StatusListView.as_view(), name="status-list"),
    path("v1/priorities/", reference.PriorityListView.as_view(), name="priority-list"),
    path("v1/types/", reference.TicketTypeListView.as_view(), name="type-list"),
    path("v1/service-categories/", reference.ServiceCategoryListView.as_view(), name="service-category-list"),
    path("v1/tags/", reference.TagListView.as_view(), name="tag-list"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
]

"""REST API: /api/v1/… resources, the OpenAPI schema at /api/schema/ and its docs at /api/docs/."""

from django.urls import path, register_converter
from drf_spectacular.views import SpectacularAPIView

from api.converters import IsoDateConverter, WeekdayConverter
from api.views import (
    articles,
    auth,
    calendars,
    companies,
    contacts,
    contracts,
    coverage,
    docs,
    equipment,
    reference,
    sites,
    sla,
    teams,
    tickets,
    users,
    works,
)

register_converter(IsoDateConverter, "isodate")
register_converter(WeekdayConverter, "weekday")

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
    path("v1/tickets/<int:number>/works/", works.TicketWorkListCreateView.as_view(), name="ticket-works"),
    path(
        "v1/tickets/<int:number>/works/<int:work_id>/", works.TicketWorkDetailView.as_view(), name="ticket-work-detail"
    ),
    path("v1/companies/", companies.CompanyListCreateView.as_view(), name="company-list"),
    path("v1/companies/<int:company_id>/", companies.CompanyDetailView.as_view(), name="company-detail"),
    path("v1/contacts/", contacts.ContactListCreateView.as_view(), name="contact-list"),
    path("v1/contacts/<int:contact_id>/", contacts.ContactDetailView.as_view(), name="contact-detail"),
    path("v1/sites/", sites.SiteListCreateView.as_view(), name="site-list"),
    path("v1/sites/<int:site_id>/", sites.SiteDetailView.as_view(), name="site-detail"),
    path("v1/equipment/", equipment.EquipmentListCreateView.as_view(), name="equipment-list"),
    path("v1/equipment/<int:equipment_id>/", equipment.EquipmentDetailView.as_view(), name="equipment-detail"),
    path("v1/contracts/", contracts.ContractListCreateView.as_view(), name="contract-list"),
    path("v1/contracts/<int:contract_id>/", contracts.ContractDetailView.as_view(), name="contract-detail"),
    path("v1/price-lists/", contracts.PriceListListView.as_view(), name="price-list-list"),
    path("v1/coverage/", coverage.CoverageView.as_view(), name="coverage"),
    path("v1/users/", users.UserListView.as_view(), name="user-list"),
    path("v1/users/me/", users.UserMeView.as_view(), name="user-me"),
    path("v1/users/<int:user_id>/", users.UserDetailView.as_view(), name="user-detail"),
    path("v1/teams/", teams.TeamListView.as_view(), name="team-list"),
    path("v1/teams/<int:team_id>/", teams.TeamDetailView.as_view(), name="team-detail"),
    path("v1/statuses/", reference.StatusListView.as_view(), name="status-list"),
    path("v1/priorities/", reference.PriorityListView.as_view(), name="priority-list"),
    path("v1/types/", reference.TicketTypeListView.as_view(), name="type-list"),
    path("v1/service-categories/", reference.ServiceCategoryListView.as_view(), name="service-category-list"),
    path("v1/company-categories/", reference.CompanyCategoryListView.as_view(), name="company-category-list"),
    path("v1/equipment-kinds/", reference.EquipmentKindListView.as_view(), name="equipment-kind-list"),
    path("v1/tags/", reference.TagListView.as_view(), name="tag-list"),
    path("v1/sla/policies/", sla.SlaPolicyListCreateView.as_view(), name="sla-policy-list"),
    path("v1/sla/policies/<int:policy_id>/", sla.SlaPolicyDetailView.as_view(), name="sla-policy-detail"),
    path("v1/sla/calendars/", calendars.BusinessCalendarListView.as_view(), name="sla-calendar-list"),
    path(
        "v1/sla/calendars/<int:calendar_id>/",
        calendars.BusinessCalendarDetailView.as_view(),
        name="sla-calendar-detail",
    ),
    path(
        "v1/sla/calendars/<int:calendar_id>/weekdays/<weekday:weekday>/",
        calendars.CalendarWeekdayView.as_view(),
        name="sla-calendar-weekday",
    ),
    path(
        "v1/sla/calendars/<int:calendar_id>/days/<isodate:day>/",
        calendars.CalendarDayView.as_view(),
        name="sla-calendar-day",
    ),
    path("v1/sla/calendars/<int:calendar_id>/seed/", calendars.CalendarSeedView.as_view(), name="sla-calendar-seed"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", docs.api_docs, name="docs"),
]

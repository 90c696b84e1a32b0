from collections.abc import Callable, Iterable
from typing import Any, cast

from django import forms
from django.db import connection
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.choices import ASSIGNABLE_ROLES
from accounts.models import Team, User
from assets.models import Equipment
from core.db import ModelColumns, quoted_column
from customers.models import Company, Site
from tickets.choices import Channel, SlaFilter, Sort, StatusCategory
from tickets.models import Priority, ServiceCategory, Status, TicketType
from tickets.reference import Reference, reference


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):  # type: ignore[no-untyped-def]
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


def _offer(form: forms.BaseForm, **objects: list) -> None:
    """Make the named fields' <select>s (core/templatetags/fast_forms.py) list these rows of the
    reference snapshot instead of querying — lists that stay the same object until the snapshot is
    renewed, so their options are written once; each field's queryset still validates the input."""
    for name, rows in objects.items():
        form.fields[name].choice_objects = rows  # type: ignore[attr-defined]
        form.fields[name].choice_objects_shared = True  # type: ignore[attr-defined]


class ReferenceMultipleChoiceField(forms.ModelMultipleChoiceField):
    """A multiple choice among reference rows, checked against the snapshot (tickets/reference.py):
    ids of rows `rows(snapshot)` holds clean to those rows without a query; anything else — a
    row added a moment ago in another process, a stranger's id — is checked by the queryset as
    usual. Cleans to a list."""

    def __init__(self, *, rows: Callable[[Reference], Iterable[Any]], **kwargs: Any) -> None:
        self.rows = rows
        super().__init__(**kwargs)

    def _check_values(self, value: Any) -> Any:
        if isinstance(value, list | tuple) and all(isinstance(v, str) and v.isdecimal() for v in value):
            keys = {int(v) for v in value}
            if all(str(int(v)) == v for v in value):  # as the queryset compares: "03" is no id
                found = {row.pk: row for row in self.rows(reference())}
                if keys <= found.keys():
                    return [found[key] for key in sorted(keys)]
        return super()._check_values(value)  # type: ignore[misc]  # (Django's, not in the stubs)


def staff_queryset():  # type: ignore[no-untyped-def]
    """Who may be assigned or observe: the fields' querysets (each form's copy clones it)."""
    return (
        User.objects.filter(is_active=True, role__in=list(ASSIGNABLE_ROLES))
        .only("id", "full_name", "email", "role")
        .order_by("full_name")
    )


class QueueFilterForm(forms.Form):
    """Queue filters as GET parameters; every field optional."""

    status = ReferenceMultipleChoiceField(
        label=_("Status"),
        queryset=Status.objects.filter(is_active=True),
        rows=lambda ref: ref.active_statuses,
        required=False,
    )
    category = forms.MultipleChoiceField(label=_("Status group"), choices=StatusCategory.choices, required=False)
    priority = ReferenceMultipleChoiceField(
        label=_("Priority"),
        queryset=Priority.objects.all(),
        rows=lambda ref: ref.priorities.values(),
        required=False,
    )
    team = ReferenceMultipleChoiceField(
        label=_("Team"), queryset=Team.objects.filter(is_active=True), rows=lambda ref: ref.active_teams, required=False
    )
    assignee = ReferenceMultipleChoiceField(
        label=_("Assignee"), queryset=staff_queryset(), rows=lambda ref: ref.staff, required=False
    )
    company = forms.ModelMultipleChoiceField(label=_("Company"), queryset=Company.objects.all(), required=False)
    tag = forms.CharField(label=_("Tag"), required=False)
    channel = forms.MultipleChoiceField(label=_("Channel"), choices=Channel.choices, required=False)
    sla = forms.MultipleChoiceField(label=_("SLA"), choices=SlaFilter.choices, required=False)
    created_from = forms.DateField(
        label=_("Created from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(label=_("Created to"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    sort = forms.ChoiceField(label=_("Sort"), choices=Sort.choices, required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        ref = reference()
        _offer(
            self,
            status=ref.active_statuses,
            priority=ref.all_priorities,
            team=ref.active_teams,
            assignee=ref.staff,
        )
        # A company filter over thousands of companies is chosen by id from the company page.
        self.fields["company"].widget = forms.MultipleHiddenInput()


class TicketCreateForm(forms.Form):
    contact_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    new_contact_name = forms.CharField(label=_("Name"), required=False, max_length=200)
    new_contact_phone = forms.CharField(label=_("Phone"), required=False, max_length=50)
    new_contact_email = forms.EmailField(label=_("Email"), required=False)
    new_contact_company = forms.ModelChoiceField(label=_("Company"), queryset=Company.objects.all(), required=False)
    site = forms.ModelChoiceField(label=_("Site"), queryset=Site.objects.select_related("company"), required=False)
    equipment = forms.ModelChoiceField(label=_("Equipment"), queryset=Equipment.objects.all(), required=False)
    title = forms.CharField(label=_("Subject"), max_length=255)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    category = forms.ModelChoiceField(
        label=_("Service category"), queryset=ServiceCategory.objects.filter(is_active=True), required=False
    )
    priority = forms.ModelChoiceField(
        label=_("Priority"), queryset=Priority.objects.filter(is_active=True), required=False
    )
    type = forms.ModelChoiceField(label=_("Type"), queryset=TicketType.objects.filter(is_active=True), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(is_active=True), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=staff_queryset(), required=False)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.PHONE)
    attachments = MultipleFileField(label=_("Attachments"))

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        ref = reference()
        self.fields["priority"].initial = next((p for p in ref.active_priorities if p.is_default), None)
        _offer(
            self,
            category=ref.active_categories,
            priority=ref.active_priorities,
            type=ref.active_types,
            team=ref.active_teams,
            assignee=ref.staff,
        )
        self.fields["site"].widget = forms.HiddenInput()
        self.fields["equipment"].widget = forms.HiddenInput()


class ReplyForm(forms.Form):
    kind = forms.ChoiceField(choices=[("public", _("Public reply")), ("note", _("Internal note"))], initial="public")
    body = forms.CharField(label=_("Message"), widget=forms.Textarea(attrs={"rows": 5}), required=False)
    attachments = MultipleFileField(label=_("Attachments"))
    status = forms.ModelChoiceField(
        label=_("and set status"), queryset=Status.objects.filter(is_active=True, is_delay=False), required=False
    )

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        _offer(self, status=reference().settable_statuses)


EQUIPMENT_CHOICES_MAX = 500


def equipment_choices(ticket: Any) -> Any:
    """Units offered for a ticket: its company's active ones (its site's when the company has very
    many), and always the ticket's own unit — even retired or at another site — so that saving
    the other properties keeps it instead of posting an unknown choice."""
    offered = Q(company_id=ticket.company_id, is_active=True)
    if ticket.site_id and Equipment.objects.filter(offered).count() > EQUIPMENT_CHOICES_MAX:
        offered &= Q(site_id=ticket.site_id)
    if ticket.equipment_id:
        offered |= Q(pk=ticket.equipment_id)
    return Equipment.objects.filter(offered).order_by("name", "id")


# What a unit's option shows (Equipment.__str__), and what tells the company's active units apart.
EQUIPMENT_OPTION_FIELDS = ("id", "name", "inventory_number", "serial_number", "company_id", "is_active")


EQUIPMENT_OPTION_COLUMNS = ModelColumns(Equipment, EQUIPMENT_OPTION_FIELDS)


def equipment_choice_rows(ticket: Any) -> list[Equipment]:
    """The rows of `equipment_choices(ticket)`, in its order, for a page to show: read in one
    hand-written statement (the company's active units and the ticket's own, at most one more than
    the limit) instead of a count and a read — the list is read again, narrowed to the site, only
    when the company has more units than the limit."""
    q = connection.ops.quote_name
    column = {f: quoted_column(Equipment, f) for f in ("id", "company", "is_active", "name")}
    own = f" OR e.{column['id']} = %s" if ticket.equipment_id else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {EQUIPMENT_OPTION_COLUMNS.select('e')} FROM {q(Equipment._meta.db_table)} e"
            f" WHERE (e.{column['company']} = %s AND e.{column['is_active']}){own}"
            f" ORDER BY e.{column['name']}, e.{column['id']} LIMIT {EQUIPMENT_CHOICES_MAX + 2}",
            [ticket.company_id, *([ticket.equipment_id] if ticket.equipment_id else [])],
        )
        rows = [cast(Equipment, EQUIPMENT_OPTION_COLUMNS.build(row)) for row in cursor.fetchall()]
    in_company = sum(1 for r in rows if r.company_id == ticket.company_id and r.is_active)
    if in_company > EQUIPMENT_CHOICES_MAX:
        rows = list(equipment_choices(ticket).only(*EQUIPMENT_OPTION_FIELDS))
    return rows


class TicketPropertiesForm(forms.Form):
    status = forms.ModelChoiceField(label=_("Status"), queryset=Status.objects.filter(is_active=True))
    delayed_until = forms.DateTimeField(
        label=_("Delayed until"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M"],
    )
    priority = forms.ModelChoiceField(label=_("Priority"), queryset=Priority.objects.filter(is_active=True))
    type = forms.ModelChoiceField(label=_("Type"), queryset=TicketType.objects.filter(is_active=True), required=False)
    category = forms.ModelChoiceField(
        label=_("Service category"), queryset=ServiceCategory.objects.filter(is_active=True), required=False
    )
    equipment = forms.ModelChoiceField(label=_("Equipment"), queryset=Equipment.objects.none(), required=False)
    team = forms.ModelChoiceField(label=_("Team"), queryset=Team.objects.filter(is_active=True), required=False)
    assignee = forms.ModelChoiceField(label=_("Assignee"), queryset=staff_queryset(), required=False)
    tags = forms.CharField(label=_("Tags"), required=False, help_text=_("Comma-separated"))
    observers = forms.ModelMultipleChoiceField(
        label=_("Observers"),
        queryset=staff_queryset(),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 4}),
        help_text=_("Colleagues who follow this ticket"),
    )

    def __init__(self, *args, ticket=None, contractor=False, equipment_rows=None, **kwargs):  # type: ignore[no-untyped-def]
        """`equipment_rows`: the units offered, as `equipment_choice_rows(ticket)` read them (a page
        showing the form); the field then offers and accepts exactly those."""
        super().__init__(*args, **kwargs)
        if ticket is not None and ticket.company_id and not contractor:
            if equipment_rows is None:
                self.fields["equipment"].queryset = equipment_choices(ticket)  # type: ignore[attr-defined]
            else:
                self.fields["equipment"].queryset = Equipment.objects.filter(  # type: ignore[attr-defined]
                    pk__in=[row.pk for row in equipment_rows]
                ).order_by("name", "id")
                self.fields["equipment"].choice_objects = equipment_rows  # type: ignore[attr-defined]
        else:
            del self.fields["equipment"]  # a unit belongs to a company: choose the company first
        ref = reference()
        _offer(
            self,
            status=ref.active_statuses,
            priority=ref.active_priorities,
            type=ref.active_types,
            category=ref.active_categories,
            team=ref.active_teams,
            assignee=ref.staff,
            observers=ref.staff,
        )

    def clean_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data.get("tags", "").split(",") if t.strip()]


class LinkForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("related", _("Link as related")),
            ("unlink", _("Remove link")),
            ("parent", _("Set as parent")),
            ("child", _("Add as child")),
            ("detach", _("Remove parent")),
        ]
    )
    number = forms.IntegerField(label=_("Ticket number"), required=False, min_value=1)


class MergeForm(forms.Form):
    number = forms.IntegerField(label=_("Merge into ticket number"), min_value=1)
    confirm = forms.BooleanField(label=_("I understand this cannot be undone"))


class BulkForm(forms.Form):
    ticket_ids = forms.TypedMultipleChoiceField(coerce=int, choices=())
    assignee = forms.ModelChoiceField(queryset=staff_queryset(), required=False)
    unassign = forms.BooleanField(required=False)
    status = forms.ModelChoiceField(queryset=Status.objects.filter(is_active=True, is_delay=False), required=False)
    priority = forms.ModelChoiceField(queryset=Priority.objects.filter(is_active=True), required=False)

    def __init__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        ref = reference()
        _offer(self, assignee=ref.staff, status=ref.settable_statuses, priority=ref.active_priorities)
        self.fields["ticket_ids"].choices = [(v, v) for v in self.data.getlist("ticket_ids")] if self.data else []

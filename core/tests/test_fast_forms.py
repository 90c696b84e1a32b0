import pytest
from django import forms

from core.templatetags.fast_forms import fast_select, options


class _Form(forms.Form):
    colour = forms.ChoiceField(choices=[("r", 'Red <b>"bold"</b>'), ('x" onmouseover="y', "Odd")], required=False)
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two")], required=False)


def test_labels_and_values_are_escaped_and_the_chosen_one_selected():
    # given
    form = _Form(data={"colour": "r"})
    # when
    html = str(fast_select(form["colour"]))
    # then
    assert '<option value="r" selected>Red &lt;b&gt;&quot;bold&quot;&lt;/b&gt;</option>' in html
    assert '<option value="x&quot; onmouseover=&quot;y">Odd</option>' in html
    assert html.startswith('<select name="colour" id="id_colour">')


def test_multiple_select_marks_every_chosen_value():
    # given
    form = _Form(data={"many": ["1", "2"]})
    # when
    html = str(fast_select(form["many"], size=3))
    # then
    assert html == (
        '<select name="many" id="id_many" multiple size="3">'
        '<option value="1" selected>One</option><option value="2" selected>Two</option></select>'
    )


def test_options_escape_labels():
    # given
    class Thing:
        def __init__(self, pk, name):
            self.pk, self.name = pk, name

    # when
    html = str(options([Thing(1, "Иван <script>"), Thing(2, "Anna & Co")]))
    # then
    assert html == '<option value="1">Иван &lt;script&gt;</option><option value="2">Anna &amp; Co</option>'


def test_options_of_one_list_are_written_once_per_language():
    # given a list whose labels follow the language, as the snapshot's rows do
    from django.utils import translation

    class Thing:
        def __init__(self, pk):
            self.pk = pk

        @property
        def name(self):
            return f"{translation.get_language()} {self.pk}"

        def __getattribute__(self, attr):
            if attr == "name":
                calls.append(attr)
            return object.__getattribute__(self, attr)

    calls: list[str] = []
    things = [Thing(1), Thing(2)]
    # when: twice in Russian, once in English
    with translation.override("ru"):
        first, again = str(options(things)), str(options(things))
    with translation.override("en"):
        english = str(options(things))
    # then: the same text, labels read once per language; another list is written afresh
    assert first == again == '<option value="1">ru 1</option><option value="2">ru 2</option>'
    assert english == '<option value="1">en 1</option><option value="2">en 2</option>'
    assert len(calls) == 4
    assert str(options([Thing(3)])).startswith('<option value="3">')


@pytest.mark.django_db
@pytest.mark.parametrize("multiple", [False, True])
@pytest.mark.parametrize("chosen", [[], [1], [0, 2]])
def test_a_shared_list_gives_the_same_select_as_the_queryset_and_stays_unmarked(multiple, chosen):
    # given: three staff members (one with markup in the name) and a form choosing some of them
    from accounts.choices import Role
    from accounts.models import User
    from tests.factories import UserFactory

    people = [UserFactory(role=Role.AGENT, full_name=name) for name in ("Анна", 'Борис "<b>"', "Вера & Co")]
    field_class = forms.ModelMultipleChoiceField if multiple else forms.ModelChoiceField

    class Pick(forms.Form):
        who = field_class(queryset=User.objects.filter(pk__in=[p.pk for p in people]).order_by("pk"), required=False)

    ids = [people[i].pk for i in chosen]
    data = {"who": ids if multiple else (ids[0] if ids else "")}
    # when: rendered from the queryset, then twice from one shared list (the second from the cache)
    plain = str(fast_select(Pick(data=data)["who"]))
    shared = str(fast_select(Pick(data=data)["who"], objects=people))
    again = str(fast_select(Pick(data=data)["who"], objects=people))
    unchosen = str(fast_select(Pick(data={})["who"], objects=people))
    # then: identical markup, and the cached options carry no earlier page's choice
    assert shared == plain == again
    assert " selected" not in unchosen


@pytest.mark.django_db
def test_a_form_field_offering_the_snapshots_list_writes_its_options_once():
    # given: a form offering the reference snapshot's statuses (tickets.forms._offer), and one
    # offering a list of its own page (the units of one ticket)
    from core.templatetags import fast_forms
    from tickets.forms import TicketPropertiesForm
    from tickets.reference import reference

    ref = reference()
    assert ref.active_statuses is ref.active_statuses  # one list per snapshot
    fast_forms._SHARED.clear()
    # when
    first = str(fast_select(TicketPropertiesForm()["status"]))
    kept = dict(fast_forms._SHARED)
    again = str(fast_select(TicketPropertiesForm()["status"]))
    # then: the second page reuses the first's options; the markup is the queryset's
    assert first == again
    assert [key[0] for key in kept] == [id(ref.active_statuses)]
    assert kept == fast_forms._SHARED
    plain = TicketPropertiesForm()
    plain.fields["status"].choice_objects_shared = False
    assert str(fast_select(plain["status"])) == first
    assert kept == fast_forms._SHARED  # a list not marked as the snapshot's is not kept

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

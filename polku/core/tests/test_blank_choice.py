"""The empty choice of a select ("- Select an option -" in Django 6.1) is in the UI's language."""

import pytest
from django import forms
from django.utils import translation

from polku.organisations.models import Unit


class _Form(forms.Form):
    unit = forms.ModelChoiceField(queryset=Unit.objects.none(), required=False)


@pytest.mark.parametrize(
    ("lang", "label"), [("fi", "– Valitse –"), ("sv", "– Välj –"), ("en", "- Select an option -")]
)
def test_the_empty_choice_of_a_select_is_in_the_ui_language(db, lang, label):
    with translation.override(lang):
        html = str(_Form()["unit"])
    assert f'<option value="" selected>{label}</option>' in html
    assert "Select an option" not in html or lang == "en"

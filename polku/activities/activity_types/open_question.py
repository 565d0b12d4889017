"""Open question: free-text answers for warm-ups and reflections."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.cards import CardWall
from polku.activities.registry import register


class OpenQuestionConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Question"), required=False, max_length=300)
    max_per_person = forms.IntegerField(label=_("Answers per person"), min_value=1, max_value=20)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)


@register
class OpenQuestion(CardWall):
    key = "open_question"
    label = _("Open question")
    result_kind = "answer"
    provides_items = False
    config_form = OpenQuestionConfigForm
    default_config: ClassVar[dict[str, Any]] = {"max_per_person": 3, "max_length": 280}

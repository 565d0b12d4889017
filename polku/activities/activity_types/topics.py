"""Questions we can act on (aiheet): short topics on a wall, grouped into themes."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.cards import CardWall
from polku.activities.registry import register


class TopicsConfigForm(forms.Form):
    prompt = forms.CharField(
        label=_("Prompt"),
        required=False,
        max_length=300,
        help_text=_("Shown on phones and the projector."),
    )
    max_per_person = forms.IntegerField(label=_("Topics per person"), min_value=1, max_value=20)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)
    hidden_until_reveal = forms.BooleanField(label=_("Hidden until revealed"), required=False)


@register
class Topics(CardWall):
    key = "topics"
    label = _("Questions we can act on")
    description = _("Name questions and topics that we ourselves can do something about.")
    result_kind = "topic"
    config_form = TopicsConfigForm
    default_config: ClassVar[dict[str, Any]] = {"max_per_person": 3, "max_length": 200}

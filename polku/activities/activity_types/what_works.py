"""What already works (mikä jo toimii): practices, people and resources, with a unit tag."""

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from polku.activities.cards import CardWall
from polku.activities.registry import register


class WhatWorksConfigForm(forms.Form):
    prompt = forms.CharField(label=_("Prompt"), required=False, max_length=300)
    max_per_person = forms.IntegerField(label=_("Posts per person"), min_value=1, max_value=20)
    anonymous = forms.BooleanField(label=_("Anonymous"), required=False)


@register
class WhatWorks(CardWall):
    key = "what_works"
    label = _("What already works")
    description = _("Practices, people and resources that already work somewhere.")
    result_kind = "what_works"
    unit_tag = True
    provides_items = False  # later votes use the topics, not these cards
    config_form = WhatWorksConfigForm
    default_config: ClassVar[dict[str, Any]] = {"max_per_person": 5, "max_length": 240}

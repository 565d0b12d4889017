from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

# Canonical attribute keys (the import maps yksikkö/enhet/unit to "unit") shown in the UI language.
ATTRIBUTE_LABELS = {"unit": _("unit")}


@register.filter
def attribute_label(key: str) -> str:
    return str(ATTRIBUTE_LABELS.get(key, key))


@register.filter
def audit_action(action: str) -> str:
    from polku.juries.explain import audit_action_text

    return audit_action_text(action)

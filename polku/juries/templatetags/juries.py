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


@register.filter
def percent(value) -> str:
    """0.124 → "12,4 %" in the active language (the plain way to say a probability)."""
    from polku.juries.explain import percent as percent_text

    if value is None or value == "":
        return "–"
    return percent_text(float(value))


@register.filter
def grouped(value) -> str:
    """10000 → "10 000" / "10,000", grouped as the active language writes numbers."""
    from django.utils.formats import number_format

    if value is None or value == "":
        return "–"
    return number_format(int(value), force_grouping=True)

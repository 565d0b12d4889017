from django import template

from polku.experiments.selectors import path_rollup

register = template.Library()


@register.inclusion_tag("experiments/_path_summary_inner.html", takes_context=True)
def path_experiments_summary(context, path):
    """The experiments block on the path page: counts, links and the roll-up."""
    return {
        "organisation": context.get("organisation"),
        "path": path,
        "experiment_count": path.experiments.count(),
        "rows": path_rollup(path=path),
    }


@register.simple_tag
def canvas_fields():
    """(field, label, input kind) of the experiment canvas, labels in the current language."""
    from django.utils.translation import gettext as _

    return [
        ("title", _("Title"), "short"),
        ("topic", _("Topic it answers"), "short"),
        ("builds_on", _("What already works that it builds on"), "long"),
        ("what_we_try", _("What we try"), "long"),
        ("who", _("Who does it"), "long"),
        ("first_step", _("First step"), "long"),
        ("first_step_on", _("Date of the first step"), "date"),
        ("duration_weeks", _("Duration (weeks)"), "short"),
        ("support_needed", _("Support needed"), "long"),
        ("contact_email", _("Contact email for check-ins"), "email"),
    ]


@register.simple_tag
def decision_choices():
    from polku.experiments.models import Experiment

    return [(value, str(label)) for value, label in Experiment.Decision.choices]

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

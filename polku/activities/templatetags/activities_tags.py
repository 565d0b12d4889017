"""``{% load activities_tags %}{% path_results path %}``: carried-forward workshop results on
the path page (prioritised topics, themes, what already works …)."""

from django import template

from polku.activities.selectors import path_results as select_path_results

register = template.Library()


@register.inclusion_tag("activities/path_results.html")
def path_results(path):
    return {"groups": select_path_results(path=path)}

"""Names of the activity types that agenda slots can hold.

The live-room activity registry (polku.activities) registers the real implementations; until an
activity module is loaded, the names below keep agendas readable.
"""

from django.utils.translation import gettext_lazy as _

KNOWN_ACTIVITY_TYPES: dict[str, object] = {
    "topics": _("Questions we can act on"),
    "influence": _("Circle of influence"),
    "what_works": _("What already works"),
    "dot_vote": _("Prioritise: dot voting"),
    "ranking": _("Prioritise: ranking"),
    "poll": _("Quick poll"),
    "scale": _("Scale"),
    "open_question": _("Open question"),
    "word_cloud": _("Word cloud"),
    "experiment_canvas": _("Design experiments"),
    "report_back": _("Report-back (kuulumiset)"),
    "decide": _("Decide: continue, adapt, scale or stop"),
}


def activity_type_choices() -> list[tuple[str, object]]:
    try:
        from polku.activities.registry import registry  # type: ignore[import-not-found]
    except ImportError:
        return list(KNOWN_ACTIVITY_TYPES.items())
    choices = dict(KNOWN_ACTIVITY_TYPES)
    for key, activity in registry.items():
        choices[key] = activity.label
    return list(choices.items())


def activity_type_label(key: str) -> object:
    return dict(activity_type_choices()).get(key, key)

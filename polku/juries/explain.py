"""Turn the lottery core's findings (codes + numbers) into sentences in the user's language."""

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from polku.juries.lottery.draw import VerifyResult
from polku.juries.lottery.feasibility import FeasibilityReport


def attribute_text(attribute: str) -> str:
    from polku.juries.templatetags.juries import attribute_label

    return attribute_label(attribute)


def _label(attribute: str, value: str) -> str:
    return f"{attribute_text(attribute)} = {value}"


def _conflict_label(text: str) -> str:
    """The core labels bounds like ``unit=Osasto A >= 3``: show the attribute in the UI language."""
    attribute, sep, rest = text.partition("=")
    if not sep or attribute.startswith("max_per_team"):
        return text
    rest = rest.replace(" >= ", " ≥ ").replace(" <= ", " ≤ ")
    return f"{attribute_text(attribute)} = {rest}"


def problem_text(code: str, p: Mapping[str, Any]) -> str:
    if code == "pool_too_small":
        return _("The panel needs %(k)d people but only %(n)d eligible people are in the pool.") % {
            "k": p["k"],
            "n": p["pool"],
        }
    if code == "not_enough_people":
        return _(
            "%(label)s needs at least %(min)d seats but only %(available)d such people are in the pool."
        ) % {
            "label": _label(p["attribute"], p["value"]),
            "min": p["min"],
            "available": p["available"],
        }
    if code == "sum_of_mins_exceeds_k":
        return _(
            "The minimums of %(attribute)s add up to %(sum)d seats, more than the panel size %(k)d."
        ) % {"attribute": attribute_text(p["attribute"]), "sum": p["sum_min"], "k": p["k"]}
    if code == "sum_of_maxes_below_k":
        return _(
            "The maximums of %(attribute)s allow only %(sum)d seats, fewer than the panel size %(k)d."
        ) % {"attribute": attribute_text(p["attribute"]), "sum": p["sum_max"], "k": p["k"]}
    if code == "team_cap_too_tight":
        return _(
            "With at most %(m)d per team only %(capacity)d people can be chosen, fewer than %(k)d."
        ) % {"m": p["max_per_team"], "capacity": p["seats"], "k": p["k"]}
    if code == "conflict":
        return _("These quotas cannot all hold at the same time: %(labels)s.") % {
            "labels": ", ".join(_conflict_label(str(c)) for c in p["constraints"])
        }
    return _("No panel meets all the quotas and rules at the same time.")


def relaxation_texts(report: FeasibilityReport) -> list[str]:
    out = []
    for r in report.relaxations:
        if r.code == "raise_team_cap":
            out.append(
                _("Raise the limit per team from %(old)d to %(new)d.")
                % {"old": r.old, "new": r.new}
            )
        elif r.code == "lower_min":
            out.append(
                _("Lower the minimum of %(label)s from %(old)d to %(new)d.")
                % {"label": _label(r.attribute, r.value), "old": r.old, "new": r.new}
            )
        else:
            out.append(
                _("Raise the maximum of %(label)s from %(old)d to %(new)d.")
                % {"label": _label(r.attribute, r.value), "old": r.old, "new": r.new}
            )
    return out


def feasibility_texts(report: FeasibilityReport) -> dict[str, Any]:
    problems = [problem_text(issue.code, issue.params) for issue in report.issues]
    if not report.feasible and not problems:
        problems = [problem_text("", {})]
    return {
        "feasible": report.feasible,
        "problems": problems,
        "relaxations": relaxation_texts(report),
    }


VERIFY_MESSAGES = {
    "unknown_format": gettext_noop("The file is not a Polku lottery file."),
    "malformed_file": gettext_noop("The file is not a Polku lottery file."),
    "commitment_mismatch": gettext_noop(
        "The commitment does not match the file's contents: the file has been changed after it was published."
    ),
    "no_panels": gettext_noop("The number of panels does not match the lottery size."),
    "no_draw": gettext_noop("The file has no draw yet."),
    "draw_error": gettext_noop("The draw input is not valid or not long enough to pick a panel."),
    "index_mismatch": gettext_noop(
        "The panel number in the file does not follow from the draw input."
    ),
    "selected_panel_mismatch": gettext_noop(
        "The drawn panel in the file is not the panel with the drawn number."
    ),
}


def verify_texts(result: VerifyResult) -> list[str]:
    out = []
    for problem in result.problems:
        if problem.code == "invalid_panel":
            out.append(
                _("Panel number %(i)s in the lottery does not meet the quotas.")
                % {"i": int(problem.params.get("slot", 0)) + 1}
            )
        else:
            out.append(_(VERIFY_MESSAGES.get(problem.code, gettext_noop("The file is not valid."))))
    return out


AUDIT_ACTIONS = {
    "jury_created": gettext_noop("Jury created"),
    "jury_updated": gettext_noop("Frame changed"),
    "attribute_values_set": gettext_noop("Allowed values set"),
    "pool_imported": gettext_noop("Pool imported"),
    "pool_excluded": gettext_noop("Person excluded"),
    "pool_included": gettext_noop("Exclusion removed"),
    "quotas_set": gettext_noop("Quotas set"),
    "run_started": gettext_noop("Computation started"),
    "run_finished": gettext_noop("Computation finished"),
    "run_failed": gettext_noop("Computation failed"),
    "commitment_published": gettext_noop("Commitment published"),
    "drawn": gettext_noop("Panel drawn"),
    "draw_voided": gettext_noop("Lottery voided"),
    "invited": gettext_noop("Invitations sent"),
    "accepted": gettext_noop("Invitation accepted"),
    "declined": gettext_noop("Invitation declined"),
    "replacement": gettext_noop("Alternate drawn"),
    "replacement_impossible": gettext_noop("No alternate keeps the quotas"),
    "recommendation_created": gettext_noop("Recommendation added"),
    "statement_published": gettext_noop("Statement published"),
    "response": gettext_noop("Commissioner responded"),
    "action_created": gettext_noop("Follow-up action added"),
    "signup_opened": gettext_noop("Sign-up opened"),
    "signup_closed": gettext_noop("Sign-up closed"),
    "volunteer_joined": gettext_noop("Volunteer joined"),
    "contacts_erased": gettext_noop("Contact data of people not drawn erased"),
}


def audit_action_text(action: str) -> str:
    return _(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action

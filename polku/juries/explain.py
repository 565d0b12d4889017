"""Turn the lottery core's findings (codes + numbers) into sentences in the user's language."""

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from polku.juries.lottery_adapter import Feasibility


def attribute_text(attribute: str) -> str:
    from polku.juries.templatetags.juries import attribute_label

    return attribute_label(attribute)


def _label(attribute: str, value: str) -> str:
    return f"{attribute_text(attribute)} = {value}"


def problem_text(code: str, p: dict[str, Any]) -> str:
    if code == "k_gt_pool":
        return _("The panel needs %(k)d people but only %(n)d eligible people are in the pool.") % p
    if code == "min_gt_available":
        return _(
            "%(label)s needs at least %(min)d seats but only %(available)d such people are in the pool."
        ) % {
            "label": _label(p["attribute"], p["value"]),
            "min": p["min"],
            "available": p["available"],
        }
    if code == "mins_gt_k":
        return _(
            "The minimums of %(attribute)s add up to %(sum)d seats, more than the panel size %(k)d."
        ) % {**p, "attribute": attribute_text(p["attribute"])}
    if code == "maxes_lt_k":
        return _(
            "The maximums of %(attribute)s allow only %(sum)d seats, fewer than the panel size %(k)d."
        ) % {**p, "attribute": attribute_text(p["attribute"])}
    if code == "team_cap":
        return (
            _(
                "With at most %(m)d per team only %(capacity)d people can be chosen, fewer than %(k)d."
            )
            % p
        )
    if code == "quotas_conflict":
        return _("These quotas cannot all hold at the same time: %(labels)s.") % {
            "labels": ", ".join(_label(a, v) for a, v in p["labels"])
        }
    return _("No panel meets all the quotas and rules at the same time.")


def relaxation_texts(feasibility: Feasibility) -> list[str]:
    out = []
    for r in feasibility.relaxations:
        label = _label(r.attribute, r.value)
        if r.min_to != r.min_from:
            out.append(
                _("Lower the minimum of %(label)s from %(old)d to %(new)d.")
                % {"label": label, "old": r.min_from, "new": r.min_to}
            )
        if r.max_to != r.max_from:
            out.append(
                _("Raise the maximum of %(label)s from %(old)d to %(new)d.")
                % {"label": label, "old": r.max_from, "new": r.max_to}
            )
    return out


def feasibility_texts(feasibility: Feasibility) -> dict[str, Any]:
    return {
        "feasible": feasibility.feasible,
        "problems": [problem_text(code, params) for code, params in feasibility.problems],
        "relaxations": relaxation_texts(feasibility),
        "relaxation_found": feasibility.relaxation_found,
    }


VERIFY_MESSAGES = {
    "format": gettext_noop("The file is not a Polku lottery file."),
    "commitment": gettext_noop(
        "The commitment does not match the file's contents: the file has been changed after it was published."
    ),
    "panel_count": gettext_noop("The number of panels does not match the lottery size."),
    "no_draw": gettext_noop("The file has no draw yet."),
    "draw_input": gettext_noop("The draw input is not valid."),
    "need_more_digits": gettext_noop("The draw input is not long enough to pick a panel."),
    "index": gettext_noop("The panel number in the file does not follow from the draw input."),
    "panel_mismatch": gettext_noop(
        "The drawn panel in the file is not the panel with the drawn number."
    ),
}


def verify_texts(codes: list[str]) -> list[str]:
    out = []
    for code in codes:
        if code.startswith("panel_invalid:"):
            out.append(
                _("Panel number %(i)s in the lottery does not meet the quotas.")
                % {"i": code.split(":", 1)[1]}
            )
        else:
            out.append(_(VERIFY_MESSAGES.get(code, gettext_noop("The file is not valid."))))
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

"""Turn the lottery core's findings (codes + numbers) into sentences in the user's language."""

from collections.abc import Mapping
from typing import Any

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

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
        return ngettext(
            "The panel needs %(k)d people but only %(n)d eligible person is in the pool.",
            "The panel needs %(k)d people but only %(n)d eligible people are in the pool.",
            p["pool"],
        ) % {"k": p["k"], "n": p["pool"]}
    if code == "not_enough_people":
        return ngettext(
            "%(label)s needs at least %(min)d seats but only %(available)d such person is in the pool.",
            "%(label)s needs at least %(min)d seats but only %(available)d such people are in the pool.",
            p["available"],
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
    "bad_counts": gettext_noop(
        "The numbers of slots per panel are not valid: each must be a whole number, at least 1."
    ),
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
    "invitation_resent": gettext_noop("Invitation sent again"),
    "invitation_link_created": gettext_noop("New personal link"),
    "accepted": gettext_noop("Invitation accepted"),
    "declined": gettext_noop("Invitation declined"),
    "withdrawn": gettext_noop("Juror withdrew"),
    "replacement": gettext_noop("Alternate drawn"),
    "replacement_impossible": gettext_noop("No alternate keeps the quotas"),
    "recommendation_created": gettext_noop("Recommendation added"),
    "recommendation_updated": gettext_noop("Recommendation edited"),
    "tallies_revealed": gettext_noop("Tallies shown to the jurors"),
    "statement_published": gettext_noop("Statement published"),
    "response": gettext_noop("Commissioner responded"),
    "action_created": gettext_noop("Follow-up experiment added"),
    "signup_opened": gettext_noop("Sign-up opened"),
    "signup_closed": gettext_noop("Sign-up closed"),
    "volunteer_joined": gettext_noop("Volunteer joined"),
    "contacts_erased": gettext_noop("Contact data of people not drawn erased"),
}


def audit_action_text(action: str) -> str:
    return _(AUDIT_ACTIONS[action]) if action in AUDIT_ACTIONS else action


# -- audit log as sentences -------------------------------------------------------------------
def percent(p: float) -> str:
    """0.1240 → "12,4 %" (decimal comma in Finnish and Swedish)."""
    return _("%(p)s %%") % {"p": number_format(round(100 * float(p), 1), decimal_pos=1)}


def _names(items: Any) -> str:
    return ", ".join(str(i) for i in items) if items else "–"


def _reason(value: Any) -> str:
    """A reason someone wrote, without its own full stop (the sentence adds one)."""
    return str(value or "").strip().rstrip(".") or "–"


def _short_hash(value: Any) -> str:
    return str(value or "")[:12] + "…" if value else "–"


def _method_text(method: Any) -> str:
    return _("the quick preview") if method == "maximin" else _("the final fair lottery")


FRAME_LABELS = {
    "question": gettext_noop("question"),
    "commissioner": gettext_noop("commissioner"),
    "commitment": gettext_noop("commissioner's commitment"),
    "response_days": gettext_noop("response time (days)"),
    "steering_group": gettext_noop("steering group"),
    "panel_size": gettext_noop("panel size"),
    "max_per_team": gettext_noop("at most per team"),
    "tally_visibility": gettext_noop("when jurors see the tally"),
    "sessions": gettext_noop("sessions"),
}


def _frame_value(name: str, value: Any) -> str:
    if name == "max_per_team" and not value:
        return _("no limit")
    if name == "sessions":
        return _names([s.get("title", s) if isinstance(s, dict) else s for s in value or []])
    if name == "tally_visibility":
        from polku.juries.models import Jury

        return str(dict(Jury.TallyVisibility.choices).get(value, value))
    if name == "steering_group":
        return _names([line for line in str(value).splitlines() if line.strip()])
    return str(value) if value not in (None, "") else "–"


def _frame_text(payload: Mapping[str, Any]) -> str:
    parts = [
        _("%(label)s: %(value)s") % {"label": _(label), "value": _frame_value(name, payload[name])}
        for name, label in FRAME_LABELS.items()
        if name in payload
    ]
    return "; ".join(parts)


def _decision_text(decision: Any) -> str:
    from polku.juries.models import Response

    return str(dict(Response.Decision.choices).get(decision, decision))


def _rec_number(p: Mapping[str, Any], key: str, positions: Mapping[int, int]) -> Any:
    return p.get("position") or positions.get(p.get(key) or 0) or p.get(key) or "–"


def audit_sentence(action: str, p: Mapping[str, Any], positions: Mapping[int, int]) -> str:
    """One entry of the audit log as a sentence in the active language. ``positions`` maps
    recommendation ids to their numbers (older entries carry only the id)."""
    if action == "jury_created":
        frame = _frame_text(p)
        return _("The jury was set up. %(frame)s.") % {"frame": frame[:1].upper() + frame[1:]}
    if action == "jury_updated":
        return _("The frame was changed. Now %(frame)s.") % {"frame": _frame_text(p)}
    if action == "attribute_values_set":
        lines = [f"{attribute_text(a)}: {_names(v)}" for a, v in p.items()]
        return _("Allowed values were set: %(values)s.") % {"values": "; ".join(lines) or "–"}
    if action == "pool_imported":
        n = int(p.get("people", 0))
        return ngettext(
            "The pool was imported from a file: %(n)d person; attributes %(attributes)s (file fingerprint %(hash)s).",
            "The pool was imported from a file: %(n)d people; attributes %(attributes)s (file fingerprint %(hash)s).",
            n,
        ) % {
            "n": n,
            "attributes": _names(attribute_text(a) for a in p.get("attributes", [])),
            "hash": _short_hash(p.get("file_sha256")),
        }
    if action == "pool_excluded":
        return _("%(p)s was left out of the lottery. Reason: %(reason)s.") % {
            "p": p.get("pseudonym", "–"),
            "reason": _reason(p.get("reason")),
        }
    if action == "pool_included":
        return _("%(p)s is in the lottery again.") % {"p": p.get("pseudonym", "–")}
    if action == "quotas_set":
        quotas = [
            _("%(label)s %(min)d–%(max)d seats")
            % {"label": _label(q["attribute"], q["value"]), "min": q["min"], "max": q["max"]}
            for q in p.get("quotas", [])
        ]
        return _("The quotas were set: %(quotas)s. Reason: %(reason)s.") % {
            "quotas": _names(quotas) if quotas else _("no quotas"),
            "reason": _reason(p.get("reason")),
        }
    if action == "run_started":
        return _("Computation %(run)s (%(method)s) was started.") % {
            "run": p.get("run", "–"),
            "method": _method_text(p.get("method")),
        }
    if action == "run_finished":
        return ngettext(
            "Computation %(run)s (%(method)s) finished: everyone has at least a %(p)s chance of being selected; %(panels)d possible panel.",
            "Computation %(run)s (%(method)s) finished: everyone has at least a %(p)s chance of being selected; %(panels)d possible panels.",
            int(p.get("panels", 0)),
        ) % {
            "run": p.get("run", "–"),
            "method": _method_text(p.get("method")),
            "p": percent(p.get("min_probability", 0.0)),
            "panels": int(p.get("panels", 0)),
        }
    if action == "run_failed":
        return _("Computation %(run)s (%(method)s) failed.") % {
            "run": p.get("run", "–"),
            "method": _method_text(p.get("method")),
        }
    if action == "commitment_published":
        text = _(
            "The lottery of %(m)s equally likely panels was fixed and its fingerprint published before the draw: %(hash)s."
        ) % {
            "m": number_format(p.get("m", 0), force_grouping=True),
            "hash": _short_hash(p.get("commitment")),
        }
        if "min_probability" in p:
            text += " " + _("In it everyone has at least a %(p)s chance of being selected.") % {
                "p": percent(p["min_probability"])
            }
        return text
    if action == "drawn":
        return _(
            "The panel was drawn with %(source)s %(input)s: panel number %(n)s. Members: %(panel)s."
        ) % {
            "source": _("the dice") if p.get("kind") == "dice" else _("the published digits"),
            "input": p.get("input", "–"),
            "n": int(p.get("index", 0)) + 1,
            "panel": _names(p.get("panel", [])),
        }
    if action == "draw_voided":
        return _("The lottery was voided. Reason: %(reason)s. Its fingerprint was %(hash)s.") % {
            "reason": _reason(p.get("reason")),
            "hash": _short_hash(p.get("commitment")),
        }
    if action == "invited":
        people = p.get("pseudonyms", [])
        return ngettext(
            "An invitation with a personal link was emailed to %(n)d person: %(who)s.",
            "Invitations with a personal link were emailed to %(n)d people: %(who)s.",
            len(people),
        ) % {"n": len(people), "who": _names(people)}
    if action == "invitation_resent":
        return _("The invitation was emailed again to %(p)s with a new link.") % {
            "p": p.get("pseudonym", "–")
        }
    if action == "invitation_link_created":
        return _("A new personal link was made for %(p)s to be given by hand.") % {
            "p": p.get("pseudonym", "–")
        }
    if action == "accepted":
        return _("%(p)s accepted the invitation.") % {"p": p.get("pseudonym", "–")}
    if action == "declined":
        if p.get("recorded_by_staff"):
            return _("%(p)s declined; staff recorded the answer given by phone or in person.") % {
                "p": p.get("pseudonym", "–")
            }
        return _("%(p)s declined the invitation.") % {"p": p.get("pseudonym", "–")}
    if action == "withdrawn":
        text = (
            _("%(p)s withdrew from the jury; staff recorded it.")
            if p.get("recorded_by_staff")
            else _("%(p)s withdrew from the jury.")
        ) % {"p": p.get("pseudonym", "–")}
        removed = int(p.get("votes_removed", 0))
        if removed:
            text += " " + ngettext(
                "Their %(n)d vote was removed.", "Their %(n)d votes were removed.", removed
            ) % {"n": removed}
        return text
    if action == "replacement":
        n = int(p.get("candidates", 0))
        text = ngettext(
            "%(new)s was drawn to replace %(old)s, at random from the %(n)d person who keeps every quota met.",
            "%(new)s was drawn to replace %(old)s, at random from the %(n)d people who keep every quota met.",
            n,
        ) % {"new": p.get("replacement", "–"), "old": p.get("declined", "–"), "n": n}
        if "differs" in p:
            if p["differs"]:
                text += " " + _("They differ in %(attributes)s, because %(reason)s.") % {
                    "attributes": _names(attribute_text(a) for a in p["differs"]),
                    "reason": _(
                        REPLACEMENT_REASONS.get(
                            p.get("reason", ""), REPLACEMENT_REASONS["none_alike_left"]
                        )
                    ),
                }
            else:
                text += " " + _("They are alike in every attribute.")
        return text
    if action == "replacement_impossible":
        return _("Nobody could replace %(p)s without breaking a quota or the team limit.") % {
            "p": p.get("declined", "–")
        }
    if action == "recommendation_created":
        return _("Recommendation %(n)s was added: “%(title)s”.") % {
            "n": _rec_number(p, "id", positions),
            "title": p.get("title", ""),
        }
    if action == "recommendation_updated":
        return _("Recommendation %(n)s, “%(title)s”, was edited (version %(v)s).") % {
            "n": _rec_number(p, "id", positions),
            "title": p.get("title", ""),
            "v": p.get("version", "–"),
        }
    if action == "tallies_revealed":
        return _("The vote tallies were shown to the jurors.")
    if action == "statement_published":
        n = len(p.get("recommendations", []))
        return ngettext(
            "The statement was published with %(n)d recommendation; the commissioner's response time started.",
            "The statement was published with %(n)d recommendations; the commissioner's response time started.",
            n,
        ) % {"n": n}
    if action == "response":
        return _("The commissioner answered recommendation %(n)s: %(decision)s.") % {
            "n": _rec_number(p, "recommendation", positions),
            "decision": _decision_text(p.get("decision")),
        }
    if action == "action_created":
        text = _("Recommendation %(n)s became the experiment “%(title)s” on the path") % {
            "n": _rec_number(p, "recommendation", positions),
            "title": p.get("title", ""),
        }
        if p.get("unit"):
            text += ", " + _("owned by %(unit)s") % {"unit": p["unit"]}
        return text + "."
    if action == "signup_opened":
        return _("The volunteer sign-up form was opened.")
    if action == "signup_closed":
        return _("The volunteer sign-up form was closed.")
    if action == "volunteer_joined":
        return _("Volunteer %(p)s signed up through the form.") % {"p": p.get("pseudonym", "–")}
    if action == "contacts_erased":
        n = int(p.get("people", 0))
        return ngettext(
            "The name and email of %(n)d person who was not drawn were erased.",
            "The names and emails of %(n)d people who were not drawn were erased.",
            n,
        ) % {"n": n}
    return audit_action_text(action)


def audit_rows(entries: list[Any], positions: Mapping[int, int]) -> list[Any]:
    """Entries with ``.sentence`` (in the active language) and ``.raw`` (the hashed JSON)."""
    import json

    for entry in entries:
        entry.sentence = audit_sentence(entry.action, entry.payload or {}, positions)
        entry.raw = json.dumps(entry.payload, ensure_ascii=False, sort_keys=True)
    return entries


# -- panel ------------------------------------------------------------------------------------
def member_count_texts(counts: Mapping[str, int]) -> list[str]:
    """ "8 accepted", "4 invited, no answer yet", … — only the states someone is in."""
    texts = {
        "accepted": lambda n: ngettext("%(n)d accepted", "%(n)d accepted", n),
        "invited": lambda n: ngettext(
            "%(n)d invited, no answer yet", "%(n)d invited, no answer yet", n
        ),
        "selected": lambda n: ngettext(
            "%(n)d drawn, not invited yet", "%(n)d drawn, not invited yet", n
        ),
        "declined": lambda n: ngettext("%(n)d declined", "%(n)d declined", n),
        "withdrawn": lambda n: ngettext("%(n)d withdrew", "%(n)d withdrew", n),
    }
    return [texts[s](counts[s]) % {"n": counts[s]} for s in texts if counts.get(s)]


def panel_done_text(action: str, pseudonym: str) -> str:
    if action == "resend":
        return _("The invitation was sent again to %(p)s with a new link.") % {"p": pseudonym}
    if action == "decline":
        return _("The decline of %(p)s was recorded; an alternate was drawn.") % {"p": pseudonym}
    return _("The withdrawal of %(p)s was recorded; an alternate was drawn.") % {"p": pseudonym}


REPLACEMENT_REASONS = {
    "none_alike_left": gettext_noop("nobody alike was left in the pool"),
    "alike_break_rules": gettext_noop(
        "everyone alike left in the pool would have broken a quota or the team limit"
    ),
}


def replacement_text(member: Any) -> str:
    """Why this alternate: like for like, or how they differ and why nobody alike could."""
    info = getattr(member, "replacement", None) or {}
    if member.replaces_id is None or not info:
        return ""
    differs = info.get("differs") or []
    if not differs:
        return _("alike the person replaced in every attribute")
    return _("differs in %(attributes)s, because %(reason)s") % {
        "attributes": ", ".join(attribute_text(a) for a in differs),
        "reason": _(
            REPLACEMENT_REASONS.get(info.get("reason", ""), REPLACEMENT_REASONS["none_alike_left"])
        ),
    }

"""Counts read right for one and for many, in every language ("1 henkilö", not "1 henkilöä")."""

import pytest
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import ngettext

from polku.juries.explain import problem_text

COMMITMENTS = "reports/_summary_body.html"


def _commitments(lang, e, u, m, p):
    section = {
        "key": "commitments", "label": "x", "available": True,
        "data": {"experiments": e, "units": u, "team_members": m, "participants": p},
    }  # fmt: skip
    with translation.override(lang):
        html = render_to_string(COMMITMENTS, {"sections": [section], "summary": None})
    return html.split("<p>", 1)[1].split("</p>", 1)[0]


@pytest.mark.parametrize(
    ("lang", "one", "many"),
    [
        ("fi", "1 kokeilu 1 yksikössä; 1 ihminen ilmoittautui tiimeihin. Mukana oli 1 osallistuja.",
         "2 kokeilua 3 yksikössä; 4 ihmistä ilmoittautui tiimeihin. Mukana oli 5 osallistujaa."),
        ("sv", "1 experiment i 1 enhet; 1 person anmälde sig till teamen. 1 deltagare var med.",
         "2 experiment i 3 enheter; 4 personer anmälde sig till teamen. 5 deltagare var med."),
        ("en", "1 experiment in 1 unit; 1 person named themselves in the teams. 1 participant took part.",
         "2 experiments in 3 units; 4 people named themselves in the teams. 5 participants took part."),
    ],
)  # fmt: skip
def test_summary_commitments_count_one_and_many(lang, one, many):
    assert _commitments(lang, 1, 1, 1, 1) == one
    assert _commitments(lang, 2, 3, 4, 5) == many


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fi", "yksikkö = A tarvitsee vähintään 2 paikkaa, mutta joukossa on vain 1 tällainen henkilö."),
        ("en", "unit = A needs at least 2 seats but only 1 such person is in the pool."),
    ],
)  # fmt: skip
def test_jury_problem_with_one_person_is_singular(lang, text):
    with translation.override(lang):
        got = problem_text(
            "not_enough_people", {"attribute": "unit", "value": "A", "min": 2, "available": 1}
        )
    assert got == text


@pytest.mark.parametrize(
    ("lang", "msg", "plural", "one", "many"),
    [
        ("en", "%(n)s wants to try this.", "%(n)s want to try this.",
         "1 wants to try this.", "3 want to try this."),
        ("fi", "The summary was sent to %(n)s recipient.", "The summary was sent to %(n)s recipients.",
         "Yhteenveto lähetettiin 1 vastaanottajalle.", "Yhteenveto lähetettiin 3 vastaanottajalle."),
        ("fi", "%(n)d person imported into the pool.", "%(n)d people imported into the pool.",
         "Joukkoon tuotiin 1 henkilö.", "Joukkoon tuotiin 3 henkilöä."),
        ("sv", "The pool has %(n)d person but the panel needs %(k)d.",
         "The pool has %(n)d people but the panel needs %(k)d.",
         "Poolen har 1 person men juryn behöver 4.", "Poolen har 3 personer men juryn behöver 4."),
        ("fi", "check-ins every day until %(d)s", "check-ins every %(n)s days until %(d)s",
         "seurantakyselyt joka päivä 1.6.2027 asti", "seurantakyselyt 3 päivän välein 1.6.2027 asti"),
    ],
)  # fmt: skip
def test_counted_messages_have_one_and_many_forms(lang, msg, plural, one, many):
    with translation.override(lang):
        values = {"d": "1.6.2027", "k": 4}
        assert ngettext(msg, plural, 1) % {**values, "n": 1} == one
        assert ngettext(msg, plural, 3) % {**values, "n": 3} == many


def test_one_jury_member_not_invited_is_singular_in_finnish():
    with translation.override("fi"):
        one = ngettext(
            "%(n)s member has not been invited yet.", "%(n)s members have not been invited yet.", 1
        )
    assert one % {"n": 1} == "1 jäsen ei ole vielä kutsuttu."

"""Reducers of the experiments' live activities (pure functions over a state dict)."""

import pytest
from django.utils import translation

from polku.activities.registry import Event, Rejected, registry

canvas = registry["experiment_canvas"]
report_back = registry["report_back"]
decide = registry["decide"]


@pytest.fixture(autouse=True)
def finnish():
    with translation.override("fi"):
        yield


def ev(kind, actor="a1", who="Aino", facilitator=False, **data):
    return Event(
        kind=kind, data=data, actor=actor, id=f"{actor}-{kind}", name=who, facilitator=facilitator
    )


def fresh(config=None):
    cfg = canvas.get_config(
        {"grouping": "unit", "measures": ["tavoitettu", "jäi mukaan"], **(config or {})}
    )
    return canvas.initial_state(cfg), cfg


def test_join_by_unit_creates_group_and_moves_member():
    state, cfg = fresh()
    canvas.reduce(state, ev("join", unit=7, name="Oulun osasto"), cfg)
    canvas.reduce(state, ev("join", actor="a2", who="Eetu", unit=7, name="x"), cfg)
    assert state["order"] == ["u7"]
    assert state["groups"]["u7"]["members"] == {"a1": "Aino", "a2": "Eetu"}
    canvas.reduce(state, ev("join", unit=8, name="Porin osasto"), cfg)
    assert state["groups"]["u7"]["members"] == {"a2": "Eetu"}
    assert canvas.personal(state, "a1", cfg) == {"group": "u8", "group_name": "Porin osasto"}


def test_edits_to_different_fields_merge_and_same_field_conflicts():
    state, cfg = fresh()
    canvas.reduce(state, ev("join", unit=7, name="Oulun osasto"), cfg)
    canvas.reduce(state, ev("join", actor="a2", who="Eetu", unit=7), cfg)
    canvas.reduce(state, ev("edit", item="u7", field="title", value="Kaveri-ilta", rev=0), cfg)
    canvas.reduce(
        state,
        ev("edit", actor="a2", item="u7", field="what_we_try", value="Tuo kaveri", rev=0),
        cfg,
    )
    with pytest.raises(Rejected) as exc:
        canvas.reduce(
            state, ev("edit", actor="a2", item="u7", field="title", value="Oma nimi", rev=0), cfg
        )
    assert exc.value.code == "conflict"
    assert (
        str(exc.value.message)
        == "Ryhmäsi jäsen tallensi tähän toisen tekstin sillä välin, kun kirjoitit. Molemmat "
        "tekstit näkyvät alla: valitse, mitä pidetään, ja tallenna uudelleen."
    )
    fields = state["groups"]["u7"]["fields"]
    assert (fields["title"], fields["what_we_try"]) == (
        {"v": "Kaveri-ilta", "r": 1},
        {"v": "Tuo kaveri", "r": 1},
    )


def test_non_member_cannot_edit_and_bad_values_change_nothing():
    state, cfg = fresh()
    canvas.reduce(state, ev("join", unit=7, name="Oulu"), cfg)
    with pytest.raises(Rejected) as exc:
        canvas.reduce(
            state, ev("edit", actor="a9", item="u7", field="title", value="x", rev=0), cfg
        )
    assert exc.value.code == "not_member"
    for field, value, code in [
        ("first_step_on", "ensi vko", "invalid"),
        ("duration_weeks", "500", "invalid"),
        ("contact_email", "ei-osoite", "invalid"),
        ("title", "a" * 121, "too_long"),
        ("nope", "x", "invalid"),
    ]:
        with pytest.raises(Rejected) as exc:
            canvas.reduce(state, ev("edit", item="u7", field=field, value=value, rev=0), cfg)
        assert exc.value.code == code
    with pytest.raises(Rejected):
        canvas.reduce(state, ev("target", item="u7|0", value=-5, rev=0), cfg)
    assert all(f["r"] == 0 for f in state["groups"]["u7"]["fields"].values())
    assert state["groups"]["u7"]["targets"] == {}


def test_topic_groups_seeded_from_prioritised_topics_and_results():
    state, cfg = fresh({"grouping": "topic"})
    canvas.on_open(
        state, cfg, [{"id": "c1", "text": "Uudet nuoret"}, {"id": "c2", "text": "Somenäkyvyys"}]
    )
    assert state["order"] == ["tc1", "tc2"]
    canvas.reduce(state, ev("join", item="tc1"), cfg)
    canvas.reduce(state, ev("edit", item="tc1", field="title", value="Kouluvierailut", rev=0), cfg)
    canvas.reduce(state, ev("target", item="tc1|0", value=40, rev=0), cfg)
    [result] = canvas.results(state, cfg)
    assert result.text == "Kouluvierailut"
    assert result.data["fields"]["topic"] == "Uudet nuoret"
    assert result.data["targets"] == {"tavoitettu": 40}


def test_report_back_wants_toggle_and_questions():
    cfg = report_back.get_config({})
    state = report_back.initial_state(cfg)
    report_back.on_open_data(state, cfg, {"cards": [{"id": "5", "title": "Kaveri-ilta"}]})
    report_back.reduce(state, ev("want", item="5"), cfg)
    report_back.reduce(state, ev("want", actor="a2", item="5"), cfg)
    report_back.reduce(state, ev("want", actor="a2", item="5"), cfg)
    report_back.reduce(state, ev("question", item="5", text="Mistä tila?"), cfg)
    with pytest.raises(Rejected):
        report_back.reduce(state, ev("want", item="99"), cfg)
    snap = report_back.public_snapshot(state, cfg, False)
    assert snap["cards"][0]["want"] == 1
    assert [q["text"] for q in snap["cards"][0]["questions"]] == ["Mistä tila?"]
    assert report_back.personal(state, "a1", cfg) == {"want": {"5": "1"}}


def test_decide_records_last_decision_per_experiment():
    cfg = decide.get_config({})
    state = decide.initial_state(cfg)
    decide.on_open_data(state, cfg, {"cards": [{"id": "5", "title": "Kaveri-ilta"}]})
    decide.reduce(state, ev("decide", item="5", decision="adapt"), cfg)
    decide.reduce(state, ev("decide", item="5", decision="continue", note="Hyvä"), cfg)
    with pytest.raises(Rejected):
        decide.reduce(state, ev("decide", item="5", decision="maybe"), cfg)
    [result] = decide.results(state, cfg)
    assert result.data == {"experiment": "5", "decision": "continue", "note": "Hyvä"}


def test_cards_of_an_older_day_come_from_the_slot_config_until_the_activity_reads_its_own():
    cfg = report_back.get_config({"cards": [{"id": "5", "title": "Vanha kortti"}]})
    state = report_back.initial_state(cfg)
    assert [c["title"] for c in report_back.public_snapshot(state, cfg, False)["cards"]] == [
        "Vanha kortti"
    ]
    report_back.on_open_data(state, cfg, {"cards": []})  # read on open: no open experiments
    assert report_back.public_snapshot(state, cfg, False)["cards"] == []


def canvas_with_title(title="Kaveri-ilta"):
    state, cfg = fresh()
    canvas.reduce(state, ev("join", unit=7, name="Oulun osasto"), cfg)
    canvas.reduce(state, ev("join", actor="a2", who="Eetu", unit=7), cfg)
    canvas.reduce(state, ev("edit", item="u7", field="what_we_try", value=title, rev=0), cfg)
    return state, cfg


def test_a_later_save_on_an_older_revision_is_refused_with_both_texts_however_late():
    # Aino saved revision 1; Eetu started from revision 0 (empty) and saves whenever he saves:
    # the event carries no time, so 1.5 s, 10 s or a minute later give the same answer.
    state, cfg = canvas_with_title("Jokainen tuo kaverin")
    with pytest.raises(Rejected) as exc:
        canvas.reduce(
            state,
            ev("edit", actor="a2", item="u7", field="what_we_try", value="Somekampanja", rev=0,
               base=""),
            cfg,
        )  # fmt: skip
    assert (exc.value.code, str(exc.value.message), exc.value.data) == (
        "conflict",
        "Ryhmäsi jäsen tallensi tähän toisen tekstin sillä välin, kun kirjoitit. Molemmat "
        "tekstit näkyvät alla: valitse, mitä pidetään, ja tallenna uudelleen.",
        {"item": "u7", "field": "what_we_try", "rev": 1, "saved": "Jokainen tuo kaverin"},
    )
    assert state["groups"]["u7"]["fields"]["what_we_try"] == {"v": "Jokainen tuo kaverin", "r": 1}
    # Having seen both, Eetu saves on revision 1: now it is his choice.
    canvas.reduce(
        state,
        ev("edit", actor="a2", item="u7", field="what_we_try", rev=1, base="Jokainen tuo kaverin",
           value="Jokainen tuo kaverin ja somekampanja"),
        cfg,
    )  # fmt: skip
    assert state["groups"]["u7"]["fields"]["what_we_try"] == {
        "v": "Jokainen tuo kaverin ja somekampanja", "r": 2,
    }  # fmt: skip


def test_appends_to_one_base_are_merged_and_nothing_is_lost():
    state, cfg = canvas_with_title("Kaveri mukaan.")
    field = state["groups"]["u7"]["fields"]["what_we_try"]
    canvas.reduce(
        state,
        ev("edit", item="u7", field="what_we_try", rev=1, base="Kaveri mukaan.",
           value="Kaveri mukaan. Kahvit tarjotaan."),
        cfg,
    )  # fmt: skip
    canvas.reduce(  # Eetu also appended to revision 1
        state,
        ev("edit", actor="a2", item="u7", field="what_we_try", rev=1, base="Kaveri mukaan.",
           value="Kaveri mukaan. Ilmoittautuminen somessa."),
        cfg,
    )  # fmt: skip
    assert field == {
        "v": "Kaveri mukaan. Kahvit tarjotaan. Ilmoittautuminen somessa.", "r": 3,
    }  # fmt: skip
    # Built on the saved text (starts with it): kept as written.
    canvas.reduce(
        state,
        ev("edit", actor="a2", item="u7", field="what_we_try", rev=2, base="x",
           value="Kaveri mukaan. Kahvit tarjotaan. Ilmoittautuminen somessa. Kiitos!"),
        cfg,
    )  # fmt: skip
    assert field["v"].endswith("somessa. Kiitos!") and field["r"] == 4
    # The same text again on an old revision: nothing to change, no new revision.
    canvas.reduce(state, ev("edit", item="u7", field="what_we_try", rev=0, value=field["v"]), cfg)
    assert field["r"] == 4


def test_a_writer_may_correct_their_own_last_save_but_not_someone_elses():
    state, cfg = canvas_with_title("Kaveri-ilat")  # Aino's typo, revision 1
    canvas.reduce(
        state, ev("edit", item="u7", field="what_we_try", rev=0, value="Kaveri-illat"), cfg
    )  # her phone still held revision 0 (the snapshot had not come yet)
    field = state["groups"]["u7"]["fields"]["what_we_try"]
    assert field == {"v": "Kaveri-illat", "r": 2}
    with pytest.raises(Rejected) as exc:
        canvas.reduce(
            state,
            ev("edit", actor="a2", item="u7", field="what_we_try", rev=1, value="Eetun teksti"),
            cfg,
        )
    assert exc.value.code == "conflict" and field == {"v": "Kaveri-illat", "r": 2}


def test_dates_and_numbers_are_never_merged():
    state, cfg = canvas_with_title()
    canvas.reduce(state, ev("edit", item="u7", field="duration_weeks", rev=0, value="6"), cfg)
    with pytest.raises(Rejected) as exc:
        canvas.reduce(
            state,
            ev("edit", actor="a2", item="u7", field="duration_weeks", rev=0, base="", value="8"),
            cfg,
        )
    assert exc.value.data == {"item": "u7", "field": "duration_weeks", "rev": 1, "saved": "6"}


def test_merge_text_rules():
    from polku.experiments.activity_types.experiment_canvas import merge_text

    def m(base, saved, mine, limit=500, prose=True):
        return merge_text(base=base, saved=saved, mine=mine, limit=limit, prose=prose)

    assert m("", "A", "B") is None  # two new texts on an empty field: shown, not glued
    assert m(None, "A", "A B") == "A B"
    assert m(None, "A B", "A") is None  # without a base a shorter text may be a deletion
    assert m("A", "A B", "A") == "A B"  # this writer changed nothing
    assert m("A", "A B", "A B C") == "A B C"
    assert m("A", "A B C", "A B") == "A B C"
    assert m("A", "A B", "A C") == "A B C"
    assert m("A", "A B", "A C", limit=4) is None  # too long together: shown instead
    assert m("A", "X", "A C") is None  # the other writer rewrote: shown
    assert m("A", "A", "Z") == "Z"  # the saved text is what this writer started from
    assert m("1", "2", "3", prose=False) is None
    assert m("1", "1", "3", prose=False) == "3"

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
        == "Ryhmästäsi joku muutti tätä juuri. Katso uusi teksti ja yritä uudelleen."
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

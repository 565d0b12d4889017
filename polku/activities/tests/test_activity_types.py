"""Reducers of the activity types: pure functions over a JSON state."""

import pytest
from django.utils import translation

from polku.activities.registry import Event, Rejected, registry


def _setup(key, **config):
    activity = registry[key]
    cfg = activity.get_config(config)
    return activity, activity.initial_state(cfg), cfg


def ev(kind, actor="a1", id="e1", facilitator=False, **data):
    return Event(kind=kind, data=data, actor=actor, id=id, facilitator=facilitator)


def test_registry_has_the_nine_live_activity_types():
    assert {
        "topics", "dot_vote", "what_works", "influence", "poll", "ranking", "scale",
        "open_question", "word_cloud",
    } <= set(registry)  # fmt: skip


def test_topics_limit_per_person_and_paper_notes_are_unlimited():
    topics, state, cfg = _setup("topics", max_per_person=2)
    topics.reduce(state, ev("card", id="1", text="A"), cfg)
    topics.reduce(state, ev("card", id="2", text="B"), cfg)
    with pytest.raises(Rejected) as rejected:
        topics.reduce(state, ev("card", id="3", text="C"), cfg)
    assert rejected.value.code == "limit"
    for i in range(3):
        topics.reduce(state, ev("card", actor="f1", id=f"p{i}", facilitator=True, text="P"), cfg)
    assert len(state["cards"]) == 5
    assert topics.personal(state, "a1", cfg) == {
        "cards": [{"id": "1", "text": "A"}, {"id": "2", "text": "B"}], "left": 0,
    }  # fmt: skip


def test_topics_themes_become_items_for_the_vote_and_results():
    topics, state, cfg = _setup("topics")
    for i, text in enumerate(["Perehdytys", "Mentorit", "Some"]):
        topics.reduce(state, ev("card", actor=f"a{i}", id=f"c{i}", text=text), cfg)
    topics.moderate(state, "theme_add", {"name": "Uudet mukaan"}, cfg)
    topics.moderate(state, "group", {"card": "c0", "theme": "t1"}, cfg)
    topics.moderate(state, "merge", {"cards": ["c0", "c1"]}, cfg)
    topics.moderate(state, "hide", {"card": "c2"}, cfg)
    assert topics.items(state, cfg) == [{"id": "t1", "text": "Uudet mukaan"}]
    results = topics.results(state, cfg)
    assert [(r.kind, r.text, r.score) for r in results] == [
        ("theme", "Uudet mukaan", None), ("topic", "Perehdytys", 2.0),
    ]  # fmt: skip


def test_hidden_until_reveal_keeps_cards_off_public_snapshots():
    topics, state, cfg = _setup("topics", hidden_until_reveal=True)
    topics.reduce(state, ev("card", text="Salainen"), cfg)
    assert topics.public_snapshot(state, cfg, False) == {"count": 1, "cards": [], "themes": []}
    assert topics.public_snapshot(state, cfg, True)["cards"][0]["text"] == "Salainen"


def test_dot_vote_budget_max_per_item_and_removal():
    vote, state, cfg = _setup("dot_vote", dots=3, max_per_item=2)
    vote.on_open(state, cfg, [{"id": "t1", "text": "A"}, {"id": "t2", "text": "B"}])
    vote.reduce(state, ev("vote", item="t1", delta=1), cfg)
    vote.reduce(state, ev("vote", item="t1", delta=1), cfg)
    with pytest.raises(Rejected):
        vote.reduce(state, ev("vote", item="t1", delta=1), cfg)
    vote.reduce(state, ev("vote", item="t2", delta=1), cfg)
    with pytest.raises(Rejected):
        vote.reduce(state, ev("vote", item="t2", delta=1), cfg)
    vote.reduce(state, ev("vote", item="t2", delta=-1), cfg)
    assert vote.personal(state, "a1", cfg) == {"votes": {"t1": 2, "t2": 0}, "left": 1}
    assert vote.public_snapshot(state, cfg, False) == {
        "items": [{"id": "t1", "text": "A"}, {"id": "t2", "text": "B"}], "shown": False,
    }  # fmt: skip
    assert [(r.text, r.score) for r in vote.results(state, cfg)] == [("A", 2.0), ("B", 0.0)]


def test_influence_parks_topics_mostly_out_of_our_hands():
    influence, state, cfg = _setup("influence")
    influence.on_open(state, cfg, [{"id": "t1", "text": "Budjetti"}, {"id": "t2", "text": "Kerho"}])
    for actor, zone in [("a", "out"), ("b", "out"), ("c", "influence")]:
        influence.reduce(state, ev("place", actor=actor, item="t1", zone=zone), cfg)
    influence.reduce(state, ev("place", actor="a", item="t2", zone="decide"), cfg)
    influence.reduce(state, ev("place", actor="a", item="t2", zone="influence"), cfg)  # change
    rows = {r["id"]: r for r in influence._rows(state)}
    assert rows["t1"]["parked"] is True
    assert (rows["t2"]["decide"], rows["t2"]["influence"], rows["t2"]["parked"]) == (0, 1, False)
    assert influence.items(state, cfg) == [{"id": "t2", "text": "Kerho"}]
    influence.moderate(state, "unpark", {"item": "t1"}, cfg)
    assert len(influence.items(state, cfg)) == 2


def test_ranking_uses_borda_points_and_replaces_earlier_ranking():
    ranking, state, cfg = _setup("ranking", top_k=2)
    ranking.on_open(
        state, cfg, [{"id": "x", "text": "X"}, {"id": "y", "text": "Y"}, {"id": "z", "text": "Z"}]
    )
    ranking.reduce(state, ev("rank", actor="a", x=1, y=2, z=None), cfg)
    ranking.reduce(state, ev("rank", actor="b", y=1, z=2), cfg)
    ranking.reduce(state, ev("rank", actor="b", z=1, y=2), cfg)  # b changes their mind
    assert [(r["id"], r["n"]) for r in ranking._ranked(state)] == [("x", 2), ("y", 2), ("z", 2)]
    with pytest.raises(Rejected):
        ranking.reduce(state, ev("rank", actor="c", x=1, y=1), cfg)


def test_poll_scale_and_word_cloud():
    poll, state, cfg = _setup("poll", options=["Kyllä", "Ei"])
    poll.reduce(state, ev("answer", choice=["o1"]), cfg)
    poll.reduce(state, ev("answer", choice=["o0"]), cfg)
    assert state["counts"] == {"o0": 1, "o1": 0}
    with pytest.raises(Rejected):
        poll.reduce(state, ev("answer", choice=["o0", "o1"]), cfg)
    scale, sstate, scfg = _setup("scale", low=1, high=5)
    scale.reduce(sstate, ev("rate", actor="a", value=4), scfg)
    scale.reduce(sstate, ev("rate", actor="b", value=5), scfg)
    assert scale._dist(sstate, scfg)["mean"] == 4.5
    with pytest.raises(Rejected):
        scale.reduce(sstate, ev("rate", value=6), scfg)
    cloud, cstate, ccfg = _setup("word_cloud")
    cloud.reduce(cstate, ev("word", actor="a", text="Yhteisö"), ccfg)
    cloud.reduce(cstate, ev("word", actor="b", text="yhteisö"), ccfg)
    with pytest.raises(Rejected):
        cloud.reduce(cstate, ev("word", actor="b", text="YHTEISÖ"), ccfg)
    assert cloud.public_snapshot(cstate, ccfg, False)["words"][0]["n"] == 2


def test_what_works_accepts_a_unit_tag():
    works, state, cfg = _setup("what_works")
    works.reduce(state, ev("card", text="Kaveri mukaan -ilta", unit=7), cfg)
    assert [(r.kind, r.unit) for r in works.results(state, cfg)] == [("what_works", 7)]


def _wall_with(texts):
    topics, state, cfg = _setup("topics", max_per_person=20)
    for i, text in enumerate(texts):
        topics.reduce(state, ev("card", id=f"k{i}", text=text), cfg)
    return topics, state, cfg


def test_accepting_suggested_groups_makes_themes_in_one_action_and_undo_restores():
    topics, state, cfg = _wall_with(["Some", "Instagram", "Rahaa", "Sponsorit", "Kahvi"])
    topics.moderate(state, "theme_add", {"name": "Vanha"}, cfg)
    topics.moderate(state, "group", {"card": "k4", "theme": "t1"}, cfg)
    topics.moderate(
        state, "groups_accept",
        {"groups": [{"name": "Some", "cards": ["k0", "k1"]},
                    {"name": "  Talous ", "cards": ["k2", "k3", "k4"]}]},
        cfg,
    )  # fmt: skip
    assert state["themes"] == {
        "t1": {"id": "t1", "name": "Vanha"},
        "t2": {"id": "t2", "name": "Some", "accept": "a1"},
        "t3": {"id": "t3", "name": "Talous", "accept": "a1"},
    }
    assert [state["cards"][f"k{i}"]["theme"] for i in range(5)] == ["t2", "t2", "t3", "t3", "t3"]
    assert topics.grouping_cards(state) == []
    snap = topics.public_snapshot(state, cfg, True)
    assert [(t["name"], t["n"]) for t in snap["themes"]] == [
        ("Vanha", 0),
        ("Some", 2),
        ("Talous", 3),
    ]
    topics.moderate(state, "groups_accept_undo", {"theme": "t3"}, cfg)  # the console's button
    assert state["themes"] == {"t1": {"id": "t1", "name": "Vanha"}}
    assert [state["cards"][f"k{i}"]["theme"] for i in range(5)] == [None, None, None, None, "t1"]
    assert state["accepts"] == {}


def test_accepting_checks_every_group_before_changing_anything():
    topics, state, cfg = _wall_with(["A", "B", "C"])
    topics.moderate(state, "merge", {"cards": ["k0", "k2"]}, cfg)
    before = repr(state)
    bad = [
        ({"groups": []}, "Choose at least one group to accept."),
        ({"groups": "x"}, "Choose at least one group to accept."),
        ({"groups": [{"name": "X", "cards": ["k0", "nope"]}]}, "No such card."),
        ({"groups": [{"name": "X", "cards": ["k1"]}, {"name": "Y", "cards": ["k1"]}]},
         "A card can be in one group only."),
        ({"groups": [{"name": "X", "cards": ["k2"]}]}, "A card can be in one group only."),
        ({"groups": [{"name": "", "cards": ["k1"]}]}, "Write something first."),
        ({"groups": [{"name": "X", "cards": []}]}, "A group needs at least one card."),
        ({"groups": [{"name": ["X"], "cards": ["k1"]}]}, "Text expected."),
    ]  # fmt: skip
    with translation.override("en"):
        for data, message in bad:
            with pytest.raises(Rejected) as rejected:
                topics.moderate(state, "groups_accept", data, cfg)
            assert str(rejected.value.message) == message
        with pytest.raises(Rejected) as rejected:
            topics.moderate(state, "groups_accept_undo", {"accept": "a9"}, cfg)
        assert str(rejected.value.message) == "Nothing to undo."
    assert repr(state) == before


def test_vote_runs_on_groups_or_on_cards_as_the_facilitator_chose():
    topics, state, cfg = _wall_with(["Some", "Instagram", "Rahaa"])
    topics.moderate(
        state, "groups_accept", {"groups": [{"name": "Some", "cards": ["k0", "k1"]}]}, cfg
    )
    assert topics.items_for(state, cfg, "groups") == [
        {"id": "t1", "text": "Some"}, {"id": "k2", "text": "Rahaa"},
    ]  # fmt: skip
    assert topics.items_for(state, cfg, "groups_only") == [{"id": "t1", "text": "Some"}]
    assert topics.items_for(state, cfg, "cards") == [
        {"id": "k0", "text": "Some"}, {"id": "k1", "text": "Instagram"}, {"id": "k2", "text": "Rahaa"},
    ]  # fmt: skip
    assert registry["dot_vote"].get_config({})["items_from"] == "groups"
    assert registry["ranking"].get_config({"items_from": "cards"})["items_from"] == "cards"

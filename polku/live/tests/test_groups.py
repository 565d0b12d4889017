"""Group assignment and the group phase fold: pure functions, exact outcomes."""

import pytest
from django.utils import translation

from polku.activities.registry import Rejected
from polku.live import groups
from polku.live.groups import Member


def key(i):
    return f"{i:016x}"


UNITS = [{"id": 1, "name": "Oulun osasto"}, {"id": 2, "name": "Tampereen osasto"},
         {"id": 3, "name": "Turun osasto"}]  # fmt: skip


def test_split_by_unit_makes_one_group_per_unit_with_members_and_fills_the_smallest():
    members = [Member(key(i), unit=u) for i, u in enumerate([2, 2, 2, 3, None, None, None])]
    split = groups.split_by_unit(members, UNITS)
    assert split.groups == [
        {"id": "g1", "name": "Tampereen osasto", "unit": 2, "table": None, "link": ""},
        {"id": "g2", "name": "Turun osasto", "unit": 3, "table": None, "link": ""},
    ]
    # g2 (1 member) takes the first two without a unit, then g1 and g2 are even at 3 → g1
    assert split.assign == {
        key(0): "g1", key(1): "g1", key(2): "g1", key(3): "g2",
        key(4): "g2", key(5): "g2", key(6): "g1",
    }  # fmt: skip


def test_split_by_unit_without_any_unit_is_refused_in_finnish():
    with translation.override("fi"), pytest.raises(Rejected) as err:
        groups.split_by_unit([Member(key(1))], UNITS)
    assert str(err.value.message) == (
        "Kukaan ei ole vielä kertonut yksikköään: valitse toinen tapa jakaa ryhmiin."
    )


def test_split_random_makes_groups_of_at_most_n_differing_by_one_and_is_seeded():
    members = [Member(key(i)) for i in range(10)]
    split = groups.split_random(members, size=4, seed=7, name=lambda n: f"Ryhmä {n}")
    assert [g["name"] for g in split.groups] == ["Ryhmä 1", "Ryhmä 2", "Ryhmä 3"]
    sizes = sorted(list(split.assign.values()).count(g) for g in ("g1", "g2", "g3"))
    assert sizes == [3, 3, 4]
    again = groups.split_random(list(reversed(members)), size=4, seed=7, name=str)
    assert again.assign == split.assign  # the same seed, the same people → the same groups
    other = groups.split_random(members, size=4, seed=8, name=str)
    assert other.assign != split.assign


@pytest.mark.parametrize("size", [1, 101, True, "4"])
def test_split_random_refuses_a_bad_size(size):
    with translation.override("fi"), pytest.raises(Rejected) as err:
        groups.split_random([Member(key(1))], size=size, seed=1, name=str)
    assert str(err.value.message) == "Ryhmän koon pitää olla 2–100."


def test_split_by_choice_keeps_names_once_and_needs_two():
    split = groups.split_by_choice(["Pöytä A", " pöytä a ", "Etäryhmä", ""])
    assert [(g["id"], g["name"]) for g in split.groups] == [("g1", "Pöytä A"), ("g2", "Etäryhmä")]
    assert split.assign == {}
    with pytest.raises(Rejected):
        groups.split_by_choice(["Yksi"])


def test_prepared_list_matches_nickname_and_opted_in_identity_and_reports_the_rest():
    rows = groups.parse_list(
        "Ryhmä A: Maija\nRyhmä A; ville@example.fi\n\nRyhmä B\tMAIJA  K\n"
        "Ryhmä B: Ei ketään\nryhmä a, Pekka"
    )
    assert rows == [("Ryhmä A", "Maija"), ("Ryhmä A", "ville@example.fi"), ("Ryhmä B", "MAIJA K"),
                    ("Ryhmä B", "Ei ketään"), ("ryhmä a", "Pekka")]  # fmt: skip
    members = [
        Member(key(1), name="maija"),
        Member(key(2), name="", return_key="rk-ville"),
        Member(key(3), name="Maija K"),
        Member(key(4), name="Pekka"),
        Member(key(5), name="Pekka"),
        Member(key(6), name="Outi"),
    ]
    split = groups.split_from_list(members, rows, identity_keys={"ville@example.fi": "rk-ville"})
    assert [(g["id"], g["name"]) for g in split.groups] == [("g1", "Ryhmä A"), ("g2", "Ryhmä B")]
    assert split.assign == {key(1): "g1", key(2): "g1", key(3): "g2"}
    assert split.unmatched == ["Ei ketään"]
    assert split.ambiguous == ["Pekka"]


def test_prepared_list_line_without_a_group_names_the_line():
    with translation.override("fi"), pytest.raises(Rejected) as err:
        groups.parse_list("Ryhmä A: Maija\nPelkkä nimi")
    assert str(err.value.message) == (
        "Rivi 2: kirjoita ryhmä, kaksoispiste ja henkilö (Ryhmä A: Maija)."
    )


def _phase():
    split = groups.split_by_unit([Member(key(1), unit=1), Member(key(2), unit=2)], UNITS)
    return groups.phase_new(slot_id=5, method="unit", split=split)


def test_newcomers_go_to_their_units_group_else_the_smallest_and_nowhere_by_choice():
    phase = _phase()
    assert groups.newcomer_group(phase, Member(key(3), unit=2)) == "g2"
    assert groups.newcomer_group(phase, Member(key(3), unit=3)) == "g1"
    groups.phase_reduce(phase, "join", {"assign": {key(3): "g1"}})
    assert groups.newcomer_group(phase, Member(key(4))) == "g2"
    choice = groups.phase_new(slot_id=5, method="choice", split=groups.split_by_choice(["A", "B"]))
    assert groups.newcomer_group(choice, Member(key(4))) is None


def test_phase_events_move_add_edit_timer_notice():
    phase = _phase()
    groups.phase_reduce(phase, "join", {"assign": {key(1): "g2"}})  # a move
    assert groups.counts(phase) == {"g1": 0, "g2": 2}
    groups.phase_reduce(phase, "add", {"name": "Etäryhmä"})
    groups.phase_reduce(phase, "edit", {"group": "g3", "link": "https://meet.example.fi/x"})
    groups.phase_reduce(phase, "edit", {"group": "g1", "table": 4})
    groups.phase_reduce(phase, "timer", {"end": 1000.0})
    groups.phase_reduce(phase, "timer", {"group": "g3", "end": 2000.0})
    groups.phase_reduce(phase, "notice", {"text": "Kaksi minuuttia!", "time_left": True})
    assert phase["groups"] == {
        "g1": {"id": "g1", "name": "Oulun osasto", "unit": 1, "table": 4, "link": "",
               "timer_end": 1000.0},
        "g2": {"id": "g2", "name": "Tampereen osasto", "unit": 2, "table": None, "link": "",
               "timer_end": 1000.0},
        "g3": {"id": "g3", "name": "Etäryhmä", "unit": None, "table": None,
               "link": "https://meet.example.fi/x", "timer_end": 2000.0},
    }  # fmt: skip
    assert phase["order"] == ["g1", "g2", "g3"]
    assert phase["notice"] == {"id": 1, "text": "Kaksi minuuttia!", "time_left": True}


@pytest.mark.parametrize(
    ("kind", "data", "message"),
    [
        ("join", {"assign": {key(1): "g9"}}, "Ryhmää ei löydy."),
        ("join", {"assign": {"not-a-key": "g1"}}, "Osallistujaa ei löydy."),
        ("join", {"assign": ["g1"]}, "Virheellinen arvo."),
        (
            "edit",
            {"group": "g1", "link": "http://meet.example.fi/x"},
            "Videolinkin pitää alkaa https://.",
        ),
        (
            "edit",
            {"group": "g1", "link": "javascript:alert(1)"},
            "Videolinkin pitää alkaa https://.",
        ),
        ("edit", {"group": "g1", "table": 0}, "Pöydän numeron pitää olla 1–999."),
        ("notice", {"text": " "}, "Kirjoita ensin jotain."),
        ("dance", {}, "Tuntematon toiminto."),
    ],
)
def test_phase_events_check_first_and_change_nothing_when_refused(kind, data, message):
    phase = _phase()
    before = repr(phase)
    with translation.override("fi"), pytest.raises(Rejected) as err:
        groups.phase_reduce(phase, kind, data)
    assert str(err.value.message) == message
    assert repr(phase) == before

"""The gettext merge driver (scripts/po_merge.py): the union of both sides' entries."""

import importlib.util
from pathlib import Path

SPEC = importlib.util.spec_from_file_location(
    "po_merge", Path(__file__).resolve().parents[3] / "scripts" / "po_merge.py"
)
assert SPEC and SPEC.loader
po_merge = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(po_merge)

HEADER = 'msgid ""\nmsgstr ""\n"POT-Creation-Date: %s\\n"\n'


def test_an_entry_wrapped_differently_on_the_two_sides_stays_one_entry():
    ours = (
        HEADER % "1"
        + '\nmsgid ""\n"Start one from a template, a half-year path"\n" or a year."\nmsgstr "Aloita."\n'
    )
    theirs = (
        HEADER % "2"
        + '\nmsgid ""\n"Start one from a template, a half-year path "\n"or a year."\nmsgstr "Aloita."\n'
        + '\nmsgid "Continue"\nmsgstr "Jatka"\n'
    )
    merged = po_merge.merge(ours, theirs)
    assert merged == ours.rstrip("\n") + '\n\nmsgid "Continue"\nmsgstr "Jatka"\n'


def test_a_translation_wins_over_an_empty_one():
    ours = HEADER % "1" + '\nmsgid "Pause"\nmsgstr ""\n'
    theirs = HEADER % "2" + '\nmsgid "Pause"\nmsgstr "Tauko"\n'
    assert po_merge.merge(ours, theirs) == HEADER % "1" + '\nmsgid "Pause"\nmsgstr "Tauko"\n'

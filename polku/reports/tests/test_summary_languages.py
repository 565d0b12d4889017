"""The ungrouped topics of a workshop summary are named in the reader's language, also in
summaries stored before the name was left out of the snapshot."""

import pytest
from django.utils import translation

from polku.reports import services
from polku.reports.summary import summary_context
from polku.reports.tests.test_summary import world  # noqa: F401  (the fixture)

pytestmark = pytest.mark.django_db


def _groups(summary, lang):
    with translation.override(lang):
        section = next(
            s for s in summary_context(summary=summary)["sections"] if s["key"] == "topics"
        )
        return [(g["title"], g["topics"]) for g in section["data"]["groups"]]


@pytest.mark.parametrize(
    ("lang", "title"), [("fi", "Ryhmittelemättä"), ("sv", "Ogrupperade"), ("en", "Not grouped")]
)
def test_ungrouped_topics_are_titled_in_the_readers_language(world, lang, title):  # noqa: F811
    with translation.override("fi"):  # made on a Finnish day
        summary = services.workshop_summary_generate(workshop_day=world["day"])
    assert _groups(summary, lang) == [("Rekrytointi", ["Kaveri mukaan"]), (title, ["Somenäkyvyys"])]


def test_a_summary_stored_with_the_finnish_name_reads_in_english(world):  # noqa: F811
    summary = services.workshop_summary_generate(workshop_day=world["day"])
    summary.data["topics"]["groups"][1] = {"title": "Ryhmittelemättä", "topics": ["Somenäkyvyys"]}
    assert _groups(summary, "en")[1] == ("Not grouped", ["Somenäkyvyys"])
    assert _groups(summary, "sv")[1] == ("Ogrupperade", ["Somenäkyvyys"])


@pytest.mark.parametrize(
    ("lang", "text"), [("fi", "Työpajan yhteenveto"), ("sv", "Workshopsammanfattning")]
)
def test_workshop_summary_heading_is_translated(lang, text):
    with translation.override(lang):
        assert translation.gettext("Workshop summary") == text

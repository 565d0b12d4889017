"""Demo data of reports: the kick-off's workshop summary (a draft) and a share link for the
youth organisation's board. Runs after the experiments and live-room demo parts."""

from polku.reports import services
from polku.workshops.models import WorkshopDay

DEMO_SHARE_LABEL = "Hallitus"


def demo_reports(created: dict) -> None:
    kickoff = created["kickoff"]
    if kickoff.status == WorkshopDay.Status.CLOSED:
        summary = services.workshop_summary_generate(workshop_day=kickoff)
        services.workshop_summary_update(
            summary=summary,
            intro="Kiitos kaikille vuosikokouksen työpajaan osallistuneille! Tässä kooste siitä, mitä saimme aikaan.",
            next_steps="Osastot aloittavat kokeilunsa kahden viikon sisällä. Kuulumiset kolmen viikon välein; seurantatyöpaja syksyllä.",
            hidden_sections=[],
        )
    services.share_link_create(
        path=created["youth_path"],
        label=DEMO_SHARE_LABEL,
        sections=["goal", "participation", "results", "experiments", "stories", "library"],
        created_by=created["coordinator"],
    )

"""Path exports (CSV/XLSX) with stable columns; organisation JSON export and delete."""

import io
import json

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from polku.core.tests.factories import OrganisationFactory
from polku.reports import datasets, services
from polku.reports.tenant import tenant_models, tenant_rows
from polku.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db

EXPECTED_COLUMNS = {
    "workshop_days": "workshop_day_id,title,starts_at,ends_at,mode,place,status,agenda_items",
    "experiments": (
        "experiment_id,title,unit_code,unit_name,topic,status,round,previous_round_id,adopted_from_id,"
        "first_step_on,started_on,reported_at,decision,what_we_try,builds_on,report_summary"
    ),
    "checkins": (
        "checkin_id,experiment_id,experiment_title,unit_name,period,what_we_did,what_helped,"
        "obstacles,needs_support,shareable,submitted_at"
    ),
    "measures": "experiment_id,experiment_title,unit_name,measure,kind,unit_label,period,value,target",
}


@pytest.fixture
def world():
    return build_world()


def test_path_table_columns_are_stable():
    for name, columns in EXPECTED_COLUMNS.items():
        assert ",".join(datasets.PATH_TABLES[name].columns) == columns


@pytest.mark.parametrize("name", sorted(EXPECTED_COLUMNS))
def test_csv_export_header_matches_documented_columns(client, world, name):
    client.force_login(world["users"]["coordinator"])
    url = reverse("reports:export_csv", args=[world["org"].slug, world["path"].pk, name])
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    first_line = response.content.decode("utf-8").split("\r\n")[0]
    assert first_line == "\ufeff" + EXPECTED_COLUMNS[name]


def test_experiment_csv_neutralises_formula_title(client, world):
    client.force_login(world["users"]["coordinator"])
    url = reverse("reports:export_csv", args=[world["org"].slug, world["path"].pk, "experiments"])
    text = client.get(url).content.decode("utf-8")
    assert '"\'=HYPERLINK(""http://evil"")"' in text
    assert ',"=HYPERLINK' not in text


def test_measures_export_rows(world):
    table = datasets.build_path_table("measures", world["path"])
    rows = [
        (r[1], r[2], r[3], str(r[6]) if r[6] else None, str(r[7]) if r[7] is not None else None)
        for r in table.rows
    ]
    assert len(rows) == 8
    assert ("Kaveri mukaan", "Alfa", "Uudet nuoret", "2026-01-15", "4.00") in rows


def test_all_tables_in_one_xlsx(client, world):
    client.force_login(world["users"]["facilitator"])
    url = reverse("reports:export_xlsx", args=[world["org"].slug, world["path"].pk, "all"])
    response = client.get(url)
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames == list(datasets.PATH_TABLES)
    assert [c.value for c in workbook["checkins"][1]] == EXPECTED_COLUMNS["checkins"].split(",")
    assert workbook["checkins"].max_row == 6  # header + 5 check-ins


def test_unknown_table_is_404(client, world):
    client.force_login(world["users"]["coordinator"])
    url = reverse("reports:export_csv", args=[world["org"].slug, world["path"].pk, "nope"])
    assert client.get(url).status_code == 404


# --- organisation export -------------------------------------------------------------------


def test_every_tenant_model_is_exported_or_excluded_with_a_reason():
    covered = {label for ds in datasets.ORGANISATION_DATASETS.values() for label in ds.models}
    missing = [
        t.label
        for t in tenant_models()
        if t.label not in covered and t.label not in datasets.EXCLUDED_MODELS
    ]
    assert missing == []


def test_organisation_export_contents(world):
    data = json.loads(services.organisation_export_json(organisation=world["org"]))
    assert data["format"] == "polku-organisation-export"
    assert data["organisation"][0]["slug"] == "nuoret"
    assert sorted(u["code"] for u in data["units"]) == ["A", "B", "C", "X"]
    assert len(data["experiments"]) == 4
    assert len(data["checkins"]) == 5
    member = data["members"][0]
    assert set(member) == {"email", "role", "unit_id", "since"}  # no names, no ids of users
    assert "token_hash" not in json.dumps(data)


def test_organisation_export_contains_no_other_tenant(world):
    other = build_world(org=OrganisationFactory(slug="toinen"))
    data = json.loads(services.organisation_export_json(organisation=world["org"]))
    other_path_ids = {other["path"].pk}
    assert {p["id"] for p in data["paths"]}.isdisjoint(other_path_ids)
    assert {e["path_id"] for e in data["experiments"]} == {world["path"].pk}


def test_organisation_export_view_downloads_json(client, world):
    client.force_login(world["users"]["coordinator"])
    response = client.get(reverse("reports:organisation_export", args=["nuoret"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert json.loads(response.content)["organisation"][0]["name"] == "Nuoret ry"


# --- organisation delete -------------------------------------------------------------------


def _count_by_model(org_id):
    return {t.label: tenant_rows(t, org_id).count() for t in tenant_models()}


def test_organisation_delete_removes_every_row_of_the_tenant_only(world):
    from polku.core.tests.factories import WorkshopDayFactory
    from polku.reports.models import ShareLink

    WorkshopDayFactory(path=world["path"])
    services.share_link_create(path=world["path"], label="Hallitus", sections=["goal"])
    child = world["units"][0]
    child.parent = world["units"][1]
    child.save()
    bystander = build_world(org=OrganisationFactory(slug="sivullinen"))
    org_id = world["org"].pk
    before_bystander = _count_by_model(bystander["org"].pk)
    assert _count_by_model(org_id)["experiments.CheckInValue"] == 8

    counts = services.organisation_delete(organisation=world["org"], confirm_slug="nuoret")

    assert all(n == 0 for n in _count_by_model(org_id).values())
    assert _count_by_model(bystander["org"].pk) == before_bystander
    assert counts["experiments.CheckInValue"] == 8
    assert ShareLink.objects.count() == 0


def test_organisation_delete_needs_exact_slug(world):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.organisation_delete(organisation=world["org"], confirm_slug="Nuoret")
    assert _count_by_model(world["org"].pk)["organisations.Organisation"] == 1


def test_organisation_delete_view(client, world):
    client.force_login(world["users"]["coordinator"])
    url = reverse("reports:organisation_delete", args=["nuoret"])
    response = client.post(url, {"confirm_slug": "väärä"})
    assert response.status_code == 400
    assert "Kirjoita organisaation lyhyt nimi" in response.content.decode()
    response = client.post(url, {"confirm_slug": "nuoret"})
    assert response.status_code == 302
    assert all(n == 0 for n in _count_by_model(world["org"].pk).values())


def test_topics_and_vote_totals_tables(world):
    from polku.activities.models import ActivityResult
    from polku.core.tests.factories import AgendaSlotFactory, WorkshopDayFactory

    day = WorkshopDayFactory(path=world["path"], title="Aloitus")
    topics = AgendaSlotFactory(workshop_day=day, title="Aiheet", activity_type="topics", position=0)
    vote = AgendaSlotFactory(
        workshop_day=day, title="Äänestys", activity_type="dot_vote", position=1
    )
    ActivityResult.objects.create(
        path=world["path"],
        slot=topics,
        activity_type="topics",
        kind="theme",
        text="Rekry",
        position=0,
    )
    ActivityResult.objects.create(
        path=world["path"],
        slot=topics,
        activity_type="topics",
        kind="topic",
        text="=kaveri",
        score=2,
        data={"theme": "Rekry", "secret": "x"},
        position=1,
    )
    ActivityResult.objects.create(
        path=world["path"],
        slot=vote,
        activity_type="dot_vote",
        kind="priority",
        text="Kaveri",
        score=31,
        position=0,
    )
    ActivityResult.objects.create(
        path=world["path"],
        slot=vote,
        activity_type="dot_vote",
        kind="priority",
        text="Some",
        score=12.5,
        position=1,
    )

    t = datasets.build_path_table("topics", world["path"])
    assert [list(r) for r in t.rows] == [
        [day.pk, "Aloitus", "Aiheet", "topics", "theme", "Rekry", "Rekry", None, "", 0],
        [day.pk, "Aloitus", "Aiheet", "topics", "topic", "=kaveri", "Rekry", 2.0, "", 1],
    ]
    v = datasets.build_path_table("votes", world["path"])
    assert [list(r) for r in v.rows] == [
        [day.pk, "Aloitus", "Äänestys", "dot_vote", "Kaveri", 31, 1],
        [day.pk, "Aloitus", "Äänestys", "dot_vote", "Some", 12.5, 2],
    ]
    from polku.reports.exporting import write_csv

    assert ",'=kaveri," in write_csv(t).decode("utf-8")
    data = json.loads(services.organisation_export_json(organisation=world["org"]))
    assert [r["data"] for r in data["activity_results"]] == [{}, {"theme": "Rekry"}, {}, {}]

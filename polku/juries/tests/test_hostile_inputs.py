"""Hostile files and exports in the jury: formulas, huge cells, expanding archives, nesting."""

import io
import zipfile

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory
from polku.juries import services
from polku.juries.services import PoolImportError
from polku.juries.tests.factories import jury_with_pool, pool_file, standard_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def coordinator(client):
    membership = MembershipFactory(role="coordinator")
    client.force_login(membership.user)
    client.membership = membership
    return client


def test_fairness_csv_neutralises_formulas_in_pool_values(coordinator):
    org = coordinator.membership.organisation
    rows = [
        (*row[:4], "=1+1" if i % 2 else "+SUM(2)", *row[5:])
        for i, row in enumerate(standard_rows())
    ]
    jury = jury_with_pool(organisation=org, rows=rows)
    services.quotas_set(
        jury=jury,
        quotas=[
            {"attribute": "rooli", "value": "=1+1", "min": 2, "max": 2},
            {"attribute": "rooli", "value": "+SUM(2)", "min": 2, "max": 2},
        ],
        reason="Kumpaakin roolia",
        actor=None,
    )
    run = services.run_leximin_start(jury=jury, actor=None, background=False)
    services.draw_commit(jury=jury, run=run, actor=None)
    body = coordinator.get(reverse("juries:fairness_csv", args=[org.slug, jury.pk])).content
    text = body.decode("utf-8-sig")
    assert "rooli,'=1+1,2,2," in text
    assert "rooli,'+SUM(2),2,2," in text
    assert ",=1+1" not in text and ",+SUM" not in text


def test_a_200000_character_cell_in_a_pool_csv_is_a_finnish_error():
    jury = jury_with_pool()
    content = pool_file([("p1", "x" * 200_000, "a@example.org", "A", "r", "aamu", "T1")])
    with pytest.raises(PoolImportError) as exc:
        services.pool_parse(jury=jury, filename="pool.csv", content=content)
    assert exc.value.messages == [
        "Tiedostoa ei voitu lukea CSV-muodossa: jokin solu on yli 1000 merkkiä pitkä."
    ]


def test_a_long_cell_under_the_csv_limit_names_its_row():
    jury = jury_with_pool()
    content = pool_file([("p1", "x" * 5000, "a@example.org", "A", "r", "aamu", "T1")])
    with pytest.raises(PoolImportError) as exc:
        services.pool_parse(jury=jury, filename="pool.csv", content=content)
    assert exc.value.messages == ["Rivillä 2 on yli 1000 merkin solu."]


def _xlsx(rows: int) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["id", "nimi", "sähköposti", "yksikkö"])
    for i in range(rows):
        sheet.append([f"p{i}", "N", f"p{i}@example.org", "A"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_an_xlsx_with_too_many_rows_stops_at_the_limit(monkeypatch):
    monkeypatch.setattr(services, "MAX_IMPORT_ROWS", 50)
    jury = jury_with_pool()
    with pytest.raises(PoolImportError) as exc:
        services.pool_parse(jury=jury, filename="pool.xlsx", content=_xlsx(400))
    assert exc.value.messages == ["Tiedostossa on liikaa rivejä (enintään 50)."]


def test_an_xlsx_that_expands_beyond_the_bound_is_refused_before_it_is_read(monkeypatch):
    monkeypatch.setattr(services, "MAX_XLSX_EXPANDED", 10_000)
    jury = jury_with_pool()
    content = _xlsx(2000)
    assert sum(i.file_size for i in zipfile.ZipFile(io.BytesIO(content)).infolist()) > 10_000
    with pytest.raises(PoolImportError) as exc:
        services.pool_parse(jury=jury, filename="pool.xlsx", content=content)
    assert exc.value.messages == ["Tiedostossa on liikaa rivejä (enintään 5000)."]


def test_an_anonymous_verify_of_nested_brackets_is_an_answer_not_500():
    client = Client()
    upload = io.BytesIO(b"[" * 100_000 + b"]" * 100_000)
    upload.name = "arvonta.json"
    response = client.post(reverse("juries:verify"), {"file": upload})
    assert response.status_code == 200
    assert "Tiedosto ei ole Polun arvontatiedosto." in response.content.decode()


def test_an_anonymous_verify_upload_is_bounded_in_size():
    upload = io.BytesIO(b" " * (5 * 1024 * 1024 + 1))
    upload.name = "arvonta.json"
    response = Client().post(reverse("juries:verify"), {"file": upload})
    assert response.status_code == 200
    assert "Tiedosto on liian suuri (enintään 5 Mt)." in response.content.decode()


@override_settings(POLKU_RATE_LIMITS={"upload.address": "2/minute"})
def test_anonymous_verify_uploads_are_limited_per_address():
    client = Client()
    statuses = []
    for _ in range(3):
        upload = io.BytesIO(b"{}")
        upload.name = "arvonta.json"
        statuses.append(client.post(reverse("juries:verify"), {"file": upload}).status_code)
    assert statuses == [200, 200, 429]
    upload = io.BytesIO(b"{}")
    upload.name = "arvonta.json"
    page = client.post(reverse("juries:verify"), {"file": upload}).content.decode()
    assert "Osoitteestasi on tarkistettu liian monta tiedostoa." in page

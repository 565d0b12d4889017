import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from polku.juries import services
from polku.juries.models import AuditEntry, PoolMember
from polku.juries.tests.factories import jury_with_pool, pool_file, standard_rows

pytestmark = pytest.mark.django_db


def _import(jury, content, filename="pool.csv"):
    with pytest.raises(services.PoolImportError) as exc:
        services.pool_import(jury=jury, filename=filename, content=content, actor=None)
    return exc.value.messages


def test_import_pseudonymises_and_keeps_contact_data_out_of_the_instance():
    jury = jury_with_pool()
    assert jury.pool.count() == 12
    member = jury.pool.get(external_id="p00")
    assert member.name == "Henkilö 0"
    assert member.attributes == {"unit": "Osasto A", "rooli": "hoitaja", "vuoro": "aamu"}
    assert member.team == "T0"
    assert member.pseudonym.startswith("R-") and len(member.pseudonym) == 8
    data = services.jury_instance_data(jury=jury)
    text = str(data)
    assert "Henkilö" not in text and "example.org" not in text and "p00" not in text
    assert len({m.pseudonym for m in jury.pool.all()}) == 12


def test_import_logs_counts_not_people():
    jury = jury_with_pool()
    entry = AuditEntry.objects.get(jury=jury, action="pool_imported")
    assert entry.payload["people"] == 12
    assert entry.payload["attributes"] == ["rooli", "unit", "vuoro"]
    assert "Henkilö" not in str(entry.payload)


def test_import_reports_duplicate_ids_and_unknown_unit_per_row_and_imports_nothing():
    jury = jury_with_pool()
    before = set(jury.pool.values_list("pseudonym", flat=True))
    rows = standard_rows()
    rows[3] = ("p00", *rows[3][1:])
    rows[5] = (rows[5][0], rows[5][1], rows[5][2], "Mars", *rows[5][4:])
    messages = _import(jury, pool_file(rows))
    assert messages == [
        "Rivi 5: tunnus p00 on jo rivillä 2.",
        "Rivi 7: tuntematon yksikkö Mars (ei organisaation yksikkö).",
    ]
    assert set(jury.pool.values_list("pseudonym", flat=True)) == before


def test_missing_columns_are_named_as_the_header_language_names_them():
    jury = jury_with_pool()
    # Finnish headers: the missing columns are called by their Finnish names
    assert _import(jury, "nimi,yksikkö\nA,A\n".encode()) == [
        "Tiedostossa ei ole saraketta tunnus (käy myös: id, henkilönumero).",
        "Tiedostossa ei ole saraketta sähköposti (käy myös: email, e-mail, e-post, epost, sahkoposti).",
    ]
    # English headers
    assert _import(jury, b"name,unit\nA,A\n") == [
        "Tiedostossa ei ole saraketta id (käy myös: henkilönumero, tunnus).",
        "Tiedostossa ei ole saraketta email (käy myös: e-mail, e-post, epost, sahkoposti, sähköposti).",
    ]
    # Swedish headers, and the Swedish names are accepted
    assert _import(jury, b"id,namn,enhet\n1,A,A\n") == [
        "Tiedostossa ei ole saraketta e-post (käy myös: email, e-mail, epost, sahkoposti, sähköposti)."
    ]


def test_import_rejects_file_without_attribute_columns():
    jury = jury_with_pool()
    assert _import(jury, b"id,email\n1,a@example.org\n") == [
        "Tiedostossa ei ole ominaisuussarakkeita (esimerkiksi yksikkö, rooli, vuoro)."
    ]


def test_import_rejects_empty_pool_and_empty_file():
    jury = jury_with_pool()
    assert _import(jury, b"id,email,unit\n") == [
        "Joukko on tyhjä: tiedostossa ei ole yhtään henkilöä."
    ]
    assert _import(jury, b"") == ["Tiedosto on tyhjä."]


def test_import_rejects_pool_smaller_than_panel():
    jury = jury_with_pool(panel_size=4)
    assert _import(jury, pool_file(standard_rows(1, 2))) == [
        "Joukossa on 3 henkilöä, mutta raatiin tarvitaan 4."
    ]


def test_import_rejects_unknown_attribute_value_when_values_are_declared():
    jury = jury_with_pool()
    services.jury_attribute_values_set(jury=jury, text="vuoro: aamu, ilta, yö", actor=None)
    rows = standard_rows()
    rows[0] = (*rows[0][:5], "iltapäivä", rows[0][6])
    assert _import(jury, pool_file(rows)) == [
        "Rivi 2: tuntematon arvo iltapäivä ominaisuudelle vuoro (sallitut: aamu, ilta, yö)."
    ]


def test_import_reads_xlsx_with_semicolon_free_cells():
    jury = jury_with_pool()
    wb = Workbook()
    ws = wb.active
    ws.append(["id", "name", "email", "unit", "role"])
    for i in range(5):
        ws.append([f"x{i}", f"N{i}", f"x{i}@example.org", "A" if i % 2 else "B", "hoitaja"])
    buffer = io.BytesIO()
    wb.save(buffer)
    count = services.pool_import(
        jury=jury, filename="pool.xlsx", content=buffer.getvalue(), actor=None
    )
    assert count == 5
    assert sorted(jury.pool.values_list("external_id", flat=True)) == ["x0", "x1", "x2", "x3", "x4"]


def test_import_rejects_broken_xlsx():
    jury = jury_with_pool()
    assert _import(jury, b"not a zip", filename="pool.xlsx") == [
        "Tiedostoa ei voitu lukea Excel-työkirjana (.xlsx)."
    ]


def test_semicolon_csv_with_finnish_headers():
    jury = jury_with_pool()
    content = "tunnus;nimi;sähköposti;yksikkö;vuoro\n1;A;a@example.org;A;aamu\n2;B;b@example.org;B;ilta\n3;C;c@example.org;A;ilta\n4;D;d@example.org;B;aamu\n"
    assert (
        services.pool_import(jury=jury, filename="p.csv", content=content.encode(), actor=None) == 4
    )


def test_exclusion_needs_reason_and_is_logged():
    jury = jury_with_pool()
    member = jury.pool.first()
    with pytest.raises(ValidationError):
        services.pool_member_exclude(member=member, excluded=True, reason=" ", actor=None)
    services.pool_member_exclude(member=member, excluded=True, reason="toimeksiantaja", actor=None)
    assert PoolMember.objects.get(pk=member.pk).excluded is True
    assert services.jury_instance_data(jury=jury)["excluded"] == [member.pseudonym]
    assert AuditEntry.objects.filter(jury=jury, action="pool_excluded").count() == 1

import pytest
from django.core.exceptions import ValidationError

from polku.core.tests.factories import OrganisationFactory, UnitFactory
from polku.organisations.models import Unit
from polku.organisations.services import unit_import_csv, unit_update

pytestmark = pytest.mark.django_db

GOOD = """code,name,parent_code,kind
FI,Keskusjärjestö,,national
ETELA,Etelä,FI,region
HKI,Helsingin osasto,ETELA,local
TRE,Tampereen osasto,LANSI,local
LANSI,Länsi,FI,region
"""


def test_import_creates_tree_with_parents_later_in_file():
    org = OrganisationFactory()
    result = unit_import_csv(organisation=org, data=GOOD.encode())
    assert result.errors == []
    assert sorted(u.code for u in result.created) == ["ETELA", "FI", "HKI", "LANSI", "TRE"]
    tre = Unit.objects.get(organisation=org, code="TRE")
    assert tre.parent.code == "LANSI"
    assert tre.parent.parent.code == "FI"
    assert Unit.objects.get(organisation=org, code="FI").kind == Unit.Kind.NATIONAL


def test_import_accepts_finnish_headers_semicolons_and_bom():
    org = OrganisationFactory()
    data = "\ufeffkoodi;nimi;yläyksikkö;taso\nA;Alue;;alue\nB;Osasto B;A;osasto\n".encode()
    result = unit_import_csv(organisation=org, data=data)
    assert result.errors == []
    assert Unit.objects.get(organisation=org, code="B").parent.code == "A"
    assert Unit.objects.get(organisation=org, code="A").kind == Unit.Kind.REGION


def test_import_with_errors_imports_nothing_and_reports_rows():
    org = OrganisationFactory()
    UnitFactory(organisation=org, code="OLD")
    data = (
        b"code,name,parent_code\n"
        b"A,Alpha,\n"
        b"A,Duplicate,\n"
        b",No code,\n"
        b"C,,\n"
        b"D,Delta,MISSING\n"
        b"OLD,Taken,\n"
    )
    result = unit_import_csv(organisation=org, data=data)
    assert [(e.row, e.message) for e in result.errors] == [
        (3, "Koodi A on jo rivillä 2."),
        (4, "Koodi puuttuu."),
        (5, "Nimi puuttuu."),
        (6, "Yläyksikköä MISSING ei löytynyt."),
        (7, "Koodi OLD on jo käytössä."),
    ]
    assert result.created == []
    assert list(org.units.values_list("code", flat=True)) == ["OLD"]


def test_import_valid_rows_only_skips_bad_rows_and_their_children():
    org = OrganisationFactory()
    data = b"code,name,parent_code\nA,Alpha,\nB,,\nC,Child of bad,B\nD,Delta,A\n"
    result = unit_import_csv(organisation=org, data=data, valid_rows_only=True)
    assert sorted(u.code for u in result.created) == ["A", "D"]
    assert [e.row for e in result.errors] == [3, 4]
    assert result.skipped_rows == 2


def test_import_rejects_parent_loop():
    org = OrganisationFactory()
    data = b"code,name,parent_code\nA,Alpha,B\nB,Beta,A\n"
    result = unit_import_csv(organisation=org, data=data)
    assert {e.row for e in result.errors} == {2, 3}
    assert org.units.count() == 0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "Tiedosto on tyhjä."),
        (b"name,other\nx,y\n", "Otsikkorivillä täytyy olla sarakkeet code. Löytyi: name, other."),
        (b"code,name\n", "Tiedostossa on otsikkorivi mutta ei yksiköitä."),
        (b"\x00\xff\xfe" * 10, None),
    ],
)
def test_import_rejects_bad_files_with_a_clear_message(data, message):
    org = OrganisationFactory()
    with pytest.raises(ValidationError) as exc:
        unit_import_csv(organisation=org, data=data)
    if message:
        assert exc.value.messages == [message]
    assert org.units.count() == 0


def test_unit_cannot_be_moved_under_its_own_child():
    org = OrganisationFactory()
    parent = UnitFactory(organisation=org)
    child = UnitFactory(organisation=org, parent=parent)
    with pytest.raises(ValidationError):
        unit_update(unit=parent, name=parent.name, code=parent.code, parent=child, kind=parent.kind)

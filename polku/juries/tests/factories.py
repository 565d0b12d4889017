"""Test helpers for juries: a jury in a path and pool files."""

import datetime as dt

from polku.core.tests.factories import OrganisationFactory, UnitFactory
from polku.juries import services
from polku.paths.services import path_create


def pool_file(
    rows: list[tuple], header: str = "id,nimi,sähköposti,yksikkö,rooli,vuoro,tiimi"
) -> bytes:
    lines = [header] + [",".join(str(c) for c in row) for row in rows]
    return ("\n".join(lines) + "\n").encode()


def standard_rows(n_a: int = 6, n_b: int = 6) -> list[tuple]:
    """Unit A: nurses, unit B: doctors; shifts alternate day/night; teams of two."""
    rows = []
    for i in range(n_a + n_b):
        unit = "A" if i < n_a else "B"
        role = "hoitaja" if unit == "A" else "lääkäri"
        shift = "aamu" if i % 2 == 0 else "yö"
        rows.append(
            (f"p{i:02d}", f"Henkilö {i}", f"h{i}@example.org", unit, role, shift, f"T{i // 2}")
        )
    return rows


def jury_with_pool(
    *,
    organisation=None,
    panel_size: int = 4,
    rows=None,
    max_per_team=None,
    actor=None,
    header: str | None = None,
):
    organisation = organisation or OrganisationFactory()
    UnitFactory(organisation=organisation, code="A", name="Osasto A")
    UnitFactory(organisation=organisation, code="B", name="Osasto B")
    path = path_create(
        organisation=organisation,
        name="Raatipolku",
        starts_on=dt.date(2027, 1, 1),
        template_key="half_year",
    )
    jury = services.jury_create(
        path=path,
        question="Miten vastaanotto toimii paremmin?",
        commissioner="Johtaja",
        commitment="Vastaan neljässä viikossa.",
        panel_size=panel_size,
        max_per_team=max_per_team,
        created_by=actor,
    )
    services.pool_import(
        jury=jury,
        filename="pool.csv",
        content=pool_file(rows or standard_rows(), **({"header": header} if header else {})),
        actor=actor,
    )
    return jury


def half_and_half_quotas(jury, actor=None, per_unit: int = 2):
    return services.quotas_set(
        jury=jury,
        quotas=[
            {"attribute": "unit", "value": "Osasto A", "min": per_unit, "max": per_unit},
            {"attribute": "unit", "value": "Osasto B", "min": per_unit, "max": per_unit},
        ],
        reason="Puolet kummastakin osastosta",
        actor=actor,
    )


def drawn_jury(*, actor=None, digits: str = "3 5 1 6 2 4 3 5", **kwargs):
    jury = jury_with_pool(actor=actor, **kwargs)
    half_and_half_quotas(jury, actor)
    run = services.run_leximin_start(jury=jury, actor=actor, background=False)
    draw = services.draw_commit(jury=jury, run=run, actor=actor)
    services.draw_enter(draw=draw, kind="dice", digits=digits, actor=actor)
    return jury, draw

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from polku.core.tests.factories import OrganisationFactory, PathFactory, UnitFactory
from polku.experiments import selectors, services
from polku.experiments.models import CheckInLink, Experiment, LogEntry, Reminder
from polku.experiments.tests.factories import MeasureTypeFactory

pytestmark = pytest.mark.django_db

Status = Experiment.Status


@pytest.fixture(autouse=True)
def finnish():
    with translation.override("fi"):
        yield


@pytest.fixture
def path():
    path = PathFactory()
    path.units.set(
        [UnitFactory(organisation=path.organisation, name=n) for n in ("Oulu", "Pori", "Vaasa")]
    )
    return path


def units(path):
    return {u.name: u for u in path.units.all()}


def make(path, unit="Oulu", **kwargs):
    reached = kwargs.pop("reached_target", 50)
    mt = path.measure_types.filter(name="tavoitettu").first() or MeasureTypeFactory(
        path=path, name="tavoitettu"
    )
    return services.experiment_create(
        path=path,
        unit=units(path)[unit],
        title=kwargs.pop("title", "Kaveri mukaan -ilta"),
        contact_email=kwargs.pop("contact_email", "oulu@example.org"),
        targets={mt: reached},
        **kwargs,
    )


def test_create_sets_targets_members_and_log(path):
    experiment = make(
        path,
        topic_title="Uusien nuorten mukaan saaminen",
        members=[
            services.MemberInput("Aino"),
            services.MemberInput("Eetu", "eetu@example.org", consent=True),
        ],
    )
    assert experiment.status == Status.PLANNED
    assert experiment.round_number == 1
    assert [(m.measure_type.name, m.target) for m in experiment.measures.all()] == [
        ("tavoitettu", Decimal("50.00"))
    ]
    assert [(m.nickname, m.email) for m in experiment.members.all()] == [
        ("Aino", ""),
        ("Eetu", "eetu@example.org"),
    ]
    assert list(experiment.log.values_list("kind", flat=True)) == ["created"]


def test_member_email_without_consent_rejected_and_nothing_saved(path):
    with pytest.raises(ValidationError) as exc:
        make(path, members=[services.MemberInput("Eetu", "eetu@example.org", consent=False)])
    assert exc.value.messages == ["Sähköpostiosoitteen voi tallentaa vain henkilön suostumuksella."]
    assert Experiment.objects.count() == 0


def test_negative_target_rejected(path):
    mt = MeasureTypeFactory(path=path)
    with pytest.raises(ValidationError) as exc:
        services.experiment_create(path=path, title="X", targets={mt: -1})
    assert exc.value.messages == ["Tavoite ei voi olla negatiivinen."]


def test_unit_of_other_organisation_rejected(path):
    with pytest.raises(ValidationError):
        services.experiment_create(path=path, title="X", unit=UnitFactory())


def test_start_planned_to_running(path):
    experiment = make(path)
    services.experiment_start(experiment=experiment, started_on=dt.date(2027, 2, 1))
    experiment.refresh_from_db()
    assert (experiment.status, experiment.started_on) == (Status.RUNNING, dt.date(2027, 2, 1))
    with pytest.raises(ValidationError) as exc:
        services.experiment_start(experiment=experiment)
    assert exc.value.messages == ["Vain suunniteltu kokeilu voidaan käynnistää."]


def test_report_requires_running(path):
    experiment = make(path)
    with pytest.raises(ValidationError):
        services.experiment_report(experiment=experiment)
    services.experiment_start(experiment=experiment)
    services.experiment_report(experiment=experiment, summary="40 uutta nuorta")
    experiment.refresh_from_db()
    assert experiment.status == Status.REPORTED
    assert experiment.report_summary == "40 uutta nuorta"
    assert experiment.reported_at is not None


def test_decide_stop_closes_reminders_and_links_without_next_round(path):
    experiment = make(path)
    services.experiment_start(experiment=experiment)
    link, _token = services.checkin_link_create(experiment=experiment, slot=dt.date(2027, 3, 1))
    Reminder.objects.create(experiment=experiment, slot=dt.date(2027, 3, 1))
    services.experiment_decide(experiment=experiment, decision="stop", note="Ei toiminut")
    experiment.refresh_from_db()
    assert (experiment.status, experiment.decision) == (Status.DECIDED, "stop")
    assert Experiment.objects.count() == 1
    assert Reminder.objects.get().status == Reminder.Status.SKIPPED
    assert CheckInLink.objects.get(pk=link.pk).revoked_at is not None


def test_decide_continue_starts_next_round_with_same_targets(path):
    experiment = make(path, members=[services.MemberInput("Aino")])
    services.experiment_start(experiment=experiment)
    services.experiment_report(experiment=experiment)
    services.experiment_decide(
        experiment=experiment, decision="continue", next_round_first_step_on=dt.date(2027, 6, 1)
    )
    second = Experiment.objects.get(previous_round=experiment)
    assert (second.round_number, second.status, second.unit_id) == (
        2,
        Status.PLANNED,
        experiment.unit_id,
    )
    assert second.first_step_on == dt.date(2027, 6, 1)
    assert [m.target for m in second.measures.all()] == [Decimal("50.00")]
    assert [m.nickname for m in second.members.all()] == ["Aino"]
    assert selectors.experiment_rounds(experiment=second) == [experiment, second]


def test_decide_planned_rejected_and_unknown_decision_rejected(path):
    experiment = make(path)
    with pytest.raises(ValidationError) as exc:
        services.experiment_decide(experiment=experiment, decision="stop")
    assert exc.value.messages == [
        "Vain käynnissä olevasta tai raportoidusta kokeilusta voi päättää."
    ]
    services.experiment_start(experiment=experiment)
    with pytest.raises(ValidationError):
        services.experiment_decide(experiment=experiment, decision="maybe")
    experiment.refresh_from_db()
    assert experiment.status == Status.RUNNING


def test_decide_scale_copies_to_units(path):
    experiment = make(path)
    services.experiment_start(experiment=experiment)
    services.experiment_decide(
        experiment=experiment,
        decision="scale",
        scale_to_units=[units(path)["Pori"], units(path)["Vaasa"]],
    )
    copies = Experiment.objects.filter(adopted_from=experiment).order_by("unit__name")
    assert [c.unit.name for c in copies] == ["Pori", "Vaasa"]


def test_next_round_only_after_continue_and_only_once(path):
    experiment = make(path)
    services.experiment_start(experiment=experiment)
    services.experiment_decide(experiment=experiment, decision="stop")
    with pytest.raises(ValidationError):
        services.experiment_next_round(experiment=experiment)
    other = make(path, unit="Pori")
    services.experiment_start(experiment=other)
    services.experiment_decide(experiment=other, decision="adapt", start_next_round=False)
    services.experiment_next_round(experiment=other)
    with pytest.raises(ValidationError) as exc:
        services.experiment_next_round(experiment=other)
    assert exc.value.messages == ["Seuraava kierros on jo aloitettu."]


def test_adopt_copies_plan_and_targets_and_notifies_original_team(
    path, mailoutbox, django_capture_on_commit_callbacks
):
    original = make(path, what_we_try="Kaveri tuo kaverin", topic_title="Uudet nuoret")
    with django_capture_on_commit_callbacks(execute=True):
        copy = services.experiment_adopt(original=original, unit=units(path)["Pori"])
    assert copy.adopted_from == original
    assert (copy.title, copy.what_we_try, copy.topic_title) == (
        "Kaveri mukaan -ilta",
        "Kaveri tuo kaverin",
        "Uudet nuoret",
    )
    assert copy.contact_email == ""
    assert [m.target for m in copy.measures.all()] == [Decimal("50.00")]
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["oulu@example.org"]
    assert mailoutbox[0].subject == "Pori kopioi kokeilunne"
    assert list(original.log.values_list("kind", "text")) == [("created", ""), ("adopted", "Pori")]


def test_adopt_into_own_unit_or_twice_rejected(path):
    original = make(path)
    with pytest.raises(ValidationError) as exc:
        services.experiment_adopt(original=original, unit=units(path)["Oulu"])
    assert exc.value.messages == ["Tämä yksikkö tekee jo tätä kokeilua."]
    services.experiment_adopt(original=original, unit=units(path)["Pori"])
    with pytest.raises(ValidationError) as exc:
        services.experiment_adopt(original=original, unit=units(path)["Pori"])
    assert exc.value.messages == ["Tämä yksikkö on jo kopioinut tämän kokeilun."]


def test_adopt_into_other_organisation_rejected(path):
    original = make(path)
    with pytest.raises(ValidationError):
        services.experiment_adopt(
            original=original, unit=UnitFactory(organisation=OrganisationFactory())
        )


def test_lineage_original_copies_and_copies_of_copies(path):
    vaasa = UnitFactory(organisation=path.organisation, name="Åbo")
    original = make(path)
    copy_a = services.experiment_adopt(original=original, unit=units(path)["Pori"])
    copy_b = services.experiment_adopt(original=original, unit=units(path)["Vaasa"])
    copy_of_copy = services.experiment_adopt(original=copy_a, unit=vaasa)
    lineage = selectors.experiment_lineage(experiment=copy_of_copy)
    assert [(n.experiment.pk, n.depth) for n in lineage] == [
        (original.pk, 0),
        (copy_a.pk, 1),
        (copy_of_copy.pk, 2),
        (copy_b.pk, 1),
    ]


def test_lineage_cycles_rejected(path):
    original = make(path)
    copy = services.experiment_adopt(original=original, unit=units(path)["Pori"])
    grandchild = services.experiment_adopt(original=copy, unit=units(path)["Vaasa"])
    with pytest.raises(ValidationError) as exc:
        services.experiment_link_origin(experiment=original, original=grandchild)
    assert exc.value.messages == ["Kokeilu ei voi olla oma kopionsa eikä kopioidensa kopio."]
    with pytest.raises(ValidationError):
        services.experiment_link_origin(experiment=original, original=original)
    original.refresh_from_db()
    assert original.adopted_from is None
    other = make(path, unit="Pori", title="Toinen")
    services.experiment_link_origin(experiment=other, original=grandchild)
    assert other.adopted_from == grandchild


def test_next_round_keeps_log_entries(path):
    experiment = make(path)
    services.experiment_start(experiment=experiment)
    services.experiment_decide(experiment=experiment, decision="continue")
    kinds = list(experiment.log.values_list("kind", flat=True))
    assert kinds == ["created", "started", "decided", "next_round"]
    assert (
        LogEntry.objects.filter(experiment__round_number=2).values_list("kind", flat=True).get()
        == "next_round"
    )


def test_rollup_sums_counts_and_money_averages_percent_and_counts_yes(path):
    from polku.experiments.models import MeasureType

    count = MeasureTypeFactory(path=path, name="tavoitettu")
    money = MeasureTypeFactory(path=path, name="kerätty", kind=MeasureType.Kind.MONEY)
    pct = MeasureTypeFactory(path=path, name="tyytyväisiä", kind=MeasureType.Kind.PERCENT)
    yes = MeasureTypeFactory(path=path, name="jatkuu", kind=MeasureType.Kind.YES_NO)
    targets = {count: 10, money: 100, pct: 80, yes: 1}
    a = services.experiment_create(path=path, unit=units(path)["Oulu"], title="A", targets=targets)
    b = services.experiment_create(path=path, unit=units(path)["Pori"], title="B", targets=targets)

    def report(e, slot, **values):
        ms = {m.measure_type.name: m.pk for m in e.measures.select_related("measure_type")}
        services.checkin_submit(
            experiment=e, slot=slot, values={ms[k]: v for k, v in values.items()}
        )

    report(a, dt.date(2027, 1, 1), tavoitettu=4, kerätty="50,50", tyytyväisiä=60, jatkuu=0)
    report(a, dt.date(2027, 2, 1), tavoitettu=3, kerätty=20, tyytyväisiä=90, jatkuu=1)
    report(b, dt.date(2027, 1, 1), tavoitettu=5, tyytyväisiä=70, jatkuu=0)
    rows = {r.measure_type.name: r for r in selectors.path_rollup(path=path)}
    assert {name: r.total for name, r in rows.items()} == {
        "tavoitettu": Decimal(12),
        "kerätty": Decimal("70.50"),
        "tyytyväisiä": Decimal("80.0"),  # mean of the latest values 90 and 70
        "jatkuu": Decimal(1),  # experiments whose latest answer is yes
    }
    assert rows["tavoitettu"].by_unit == [
        ("Oulu", Decimal(7), Decimal(10)),
        ("Pori", Decimal(5), Decimal(10)),
    ]
    assert rows["kerätty"].by_unit[1] == ("Pori", None, Decimal(100))

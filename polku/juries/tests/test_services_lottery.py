import copy

import pytest
from django.core.exceptions import ValidationError

from polku.juries import lottery_adapter as lottery
from polku.juries import services
from polku.juries.models import AuditEntry, Draw, JuryMember, LotteryRun
from polku.juries.tests.factories import drawn_jury, half_and_half_quotas, jury_with_pool

pytestmark = pytest.mark.django_db


def test_quotas_need_a_reason_and_log_who_and_why(django_user_model):
    user = django_user_model.objects.create_user(email="f@example.org", password="x", name="Fanni")
    jury = jury_with_pool()
    with pytest.raises(ValidationError) as exc:
        services.quotas_set(jury=jury, quotas=[], reason="  ", actor=user)
    assert exc.value.messages == [
        "Kirjoita, miksi kiintiöt asetetaan tai niitä muutetaan; syy tallentuu tapahtumalokiin."
    ]
    half_and_half_quotas(jury, user)
    entry = AuditEntry.objects.get(jury=jury, action="quotas_set")
    assert entry.actor == "Fanni"
    assert entry.payload["reason"] == "Puolet kummastakin osastosta"
    assert entry.payload["quotas"] == [
        {"attribute": "unit", "value": "Osasto A", "min": 2, "max": 2},
        {"attribute": "unit", "value": "Osasto B", "min": 2, "max": 2},
    ]


def test_quota_min_above_max_is_rejected():
    jury = jury_with_pool()
    with pytest.raises(ValidationError) as exc:
        services.quotas_set(
            jury=jury,
            quotas=[{"attribute": "unit", "value": "Osasto A", "min": 3, "max": 1}],
            reason="testi",
            actor=None,
        )
    assert exc.value.messages == [
        "yksikkö = Osasto A: vähimmäismäärä on suurempi kuin enimmäismäärä."
    ]


def test_proportional_quotas_round_down_and_up():
    assert services.quotas_from_shares(k=12, attribute="unit", shares={"A": 45, "B": 55}) == {
        "A": (5, 6),
        "B": (6, 7),
    }


def test_infeasible_quotas_are_refused_with_the_reason_and_smallest_relaxation():
    jury = jury_with_pool(panel_size=4)
    half_and_half_quotas(jury)
    with pytest.raises(services.QuotasInfeasible) as exc:
        services.quotas_set(
            jury=jury,
            quotas=[
                {"attribute": "unit", "value": "Osasto A", "min": 3, "max": 4},
                {"attribute": "unit", "value": "Osasto B", "min": 3, "max": 4},
            ],
            reason="liian tiukka",
            actor=None,
        )
    report = exc.value.report
    assert report["feasible"] is False
    assert report["problems"] == [
        "Ominaisuuden yksikkö vähimmäismäärät ovat yhteensä 6 paikkaa, enemmän kuin raadin koko 4."
    ]
    assert len(report["relaxations"]) == 1
    assert report["relaxations"][0] in (
        "Laske kiintiön yksikkö = Osasto A vähimmäismäärä 3 → 1.",
        "Laske kiintiön yksikkö = Osasto B vähimmäismäärä 3 → 1.",
    )
    # nothing was saved: the earlier quotas stand, and only they are in the audit log
    assert [(q.value, q.min_seats, q.max_seats) for q in jury.quotas.all()] == [
        ("Osasto A", 2, 2),
        ("Osasto B", 2, 2),
    ]
    assert AuditEntry.objects.filter(jury=jury, action="quotas_set").count() == 1


def test_quotas_made_impossible_by_exclusions_block_the_lottery():
    jury = jury_with_pool(panel_size=4)
    half_and_half_quotas(jury)
    for member in jury.pool.filter(attributes__unit="Osasto A").order_by("external_id")[:5]:
        services.pool_member_exclude(member=member, excluded=True, reason="lomalla", actor=None)
    result = services.jury_feasibility(jury=jury)
    assert result["feasible"] is False
    assert result["problems"] == [
        "yksikkö = Osasto A tarvitsee vähintään 2 paikkaa, mutta joukossa on vain 1 tällainen henkilö."
    ]
    with pytest.raises(ValidationError):
        services.run_preview(jury=jury, actor=None)
    assert LotteryRun.objects.filter(jury=jury).count() == 0


def test_conflicting_quotas_across_attributes_named():
    jury = jury_with_pool(panel_size=4)
    # unit A are all nurses: 'at least 3 from A' conflicts with 'at most 1 nurse'
    with pytest.raises(services.QuotasInfeasible) as exc:
        services.quotas_set(
            jury=jury,
            quotas=[
                {"attribute": "unit", "value": "Osasto A", "min": 3, "max": 4},
                {"attribute": "rooli", "value": "hoitaja", "min": 0, "max": 1},
            ],
            reason="ristiriita",
            actor=None,
        )
    result = exc.value.report
    assert result["feasible"] is False
    assert result["problems"][0].startswith("Nämä kiintiöt eivät voi toteutua yhtä aikaa:")
    assert len(result["relaxations"]) == 1
    assert jury.quotas.count() == 0


def test_preview_leximin_commit_and_dice_draw_seat_a_quota_panel():
    jury, draw = drawn_jury()
    run = draw.run
    assert run.status == LotteryRun.Status.DONE
    # 6 + 6 people, 2 + 2 seats: everybody's LEXIMIN probability is exactly 1/3
    assert run.result["min_probability"] == pytest.approx(1 / 3, abs=1e-6)
    # 1/3 each rounds to 333/1000 or 334/1000: within 1 % of the promise, so 1,000 slots do
    assert lottery.lottery_size(draw.lottery) == 1000
    assert draw.commitment == draw.lottery["commitment"]
    assert draw.lottery["format"] == "polku-lottery/2"
    assert min(lottery.slot_marginals(draw.lottery).values()) == pytest.approx(0.333)
    panel = lottery.slot_panel(draw.lottery, draw.panel_index)
    seated = JuryMember.objects.filter(draw=draw)
    assert sorted(m.pool_member.pseudonym for m in seated) == sorted(panel)
    units = sorted(m.pool_member.attributes["unit"] for m in seated)
    assert units == ["Osasto A", "Osasto A", "Osasto B", "Osasto B"]
    actions = list(AuditEntry.objects.filter(jury=jury).values_list("action", flat=True))
    assert actions == [
        "jury_created",
        "pool_imported",
        "quotas_set",
        "run_started",
        "run_finished",
        "commitment_published",
        "drawn",
    ]


def test_dice_mapping_is_rejection_sampling_over_groups_of_four():
    # M = 1000: 6**4 = 1296 ≥ 1000, fair range 0..999; '6666' = 1295 is rejected
    assert lottery.digits_per_chunk(1000, "dice") == 4
    assert lottery.digits_per_chunk(1000, "decimal") == 3
    assert lottery.draw_trace("1111", "dice", 1000).index == 0
    assert lottery.draw_trace("6666 1112", "dice", 1000).index == 1
    with pytest.raises(lottery.NeedMoreDigits):
        lottery.draw_trace("6666", "dice", 1000)
    assert lottery.draw_trace("427", "decimal", 1000).index == 427


def test_draw_with_too_few_digits_explains_and_keeps_lottery_open():
    jury = jury_with_pool()
    half_and_half_quotas(jury)
    run = services.run_leximin_start(jury=jury, actor=None, background=False)
    draw = services.draw_commit(jury=jury, run=run, actor=None)
    with pytest.raises(ValidationError) as exc:
        services.draw_enter(draw=draw, kind="dice", digits="6 6 6 6", actor=None)
    assert exc.value.messages[0].startswith("Numeroita ei ole tarpeeksi")
    with pytest.raises(ValidationError) as exc:
        services.draw_enter(draw=draw, kind="dice", digits="7 0", actor=None)
    assert exc.value.messages == ["Syötä nopan silmäluvut numeroina 1–6, esimerkiksi 3 5 1 6."]
    draw.refresh_from_db()
    assert draw.panel_index is None


def test_maximin_preview_cannot_be_committed():
    jury = jury_with_pool()
    half_and_half_quotas(jury)
    preview = services.run_preview(jury=jury, actor=None)
    with pytest.raises(ValidationError):
        services.draw_commit(jury=jury, run=preview, actor=None)


def test_run_is_stale_after_quota_change():
    jury = jury_with_pool()
    half_and_half_quotas(jury)
    run = services.run_leximin_start(jury=jury, actor=None, background=False)
    services.quotas_set(
        jury=jury,
        quotas=[{"attribute": "unit", "value": "Osasto A", "min": 1, "max": 3}],
        reason="väljemmät kiintiöt",
        actor=None,
    )
    with pytest.raises(ValidationError) as exc:
        services.draw_commit(jury=jury, run=run, actor=None)
    assert exc.value.messages == [
        "Joukko tai kiintiöt ovat muuttuneet laskennan jälkeen; laske arvonta uudelleen."
    ]


def test_redraw_needs_written_reason_and_is_logged():
    jury, draw = drawn_jury()
    with pytest.raises(ValidationError):
        services.draw_void(draw=draw, reason="oops", actor=None)
    assert Draw.objects.get(pk=draw.pk).voided_at is None
    services.draw_void(
        draw=draw, reason="Noppa putosi lattialle ennen kuin luku nähtiin.", actor=None
    )
    entry = AuditEntry.objects.filter(jury=jury).last()
    assert entry.action == "draw_voided"
    assert entry.payload == {
        "draw": draw.pk,
        "commitment": draw.commitment,
        "reason": "Noppa putosi lattialle ennen kuin luku nähtiin.",
    }
    second = services.draw_commit(jury=jury, run=draw.run, actor=None)
    assert second.lottery["polku"]["draw_number"] == 2
    assert Draw.objects.filter(jury=jury, voided_at__isnull=True).get() == second
    commitments = [
        e.payload["commitment"]
        for e in AuditEntry.objects.filter(jury=jury, action="commitment_published")
    ]
    assert commitments == [draw.commitment, second.commitment]


def test_lottery_changes_locked_after_commitment():
    jury, _draw = drawn_jury()
    with pytest.raises(ValidationError):
        half_and_half_quotas(jury, per_unit=1)
    with pytest.raises(services.PoolImportError):
        services.pool_import(jury=jury, filename="p.csv", content=b"id,email,unit\n", actor=None)


def _codes(result):
    return [p.code for p in result.problems]


def test_published_file_verifies_and_tampering_fails():
    from polku.juries.lottery.draw import commitment

    _jury, draw = drawn_jury()
    data = services.lottery_file(draw=draw)
    result = lottery.verify_lottery_file(data)
    assert result.ok is True
    assert result.index == draw.panel_index

    tampered = copy.deepcopy(data)
    drawn = sorted(lottery.slot_panel(data, draw.panel_index))
    where = data["panels"].index(drawn)
    other = next(p for p in data["panels"] if sorted(p) != drawn)
    tampered["panels"][where] = other
    tampered["selected_panel"] = other
    assert "commitment_mismatch" in _codes(lottery.verify_lottery_file(tampered))

    recounted = copy.deepcopy(data)  # move slots from one panel to another
    recounted["counts"][0] += 100
    recounted["counts"][1] -= 100
    assert "commitment_mismatch" in _codes(lottery.verify_lottery_file(recounted))
    zero = copy.deepcopy(data)
    zero["counts"][0] = 0
    assert _codes(lottery.verify_lottery_file(zero)) == ["bad_counts"]

    other_input = copy.deepcopy(data)
    other_input["draw"]["input"] = "1111"
    assert "index_mismatch" in _codes(lottery.verify_lottery_file(other_input))

    bad_panel = copy.deepcopy(data)
    everyone_a = [p["id"] for p in data["pool"] if p["features"]["unit"] == "Osasto A"][:4]
    bad_panel["panels"][0] = sorted(everyone_a)
    bad_panel["commitment"] = commitment(
        bad_panel["pool"],
        bad_panel["quotas"],
        bad_panel["software_version"],
        bad_panel["panels"],
        k=bad_panel["k"],
        max_per_team=bad_panel["max_per_team"],
        counts=bad_panel["counts"],
    )
    assert "invalid_panel" in _codes(lottery.verify_lottery_file(bad_panel))
    assert lottery.verify_lottery_file([1, 2]).ok is False


def test_lottery_file_holds_no_names_or_emails():
    _jury, draw = drawn_jury()
    text = str(services.lottery_file(draw=draw))
    assert "Henkilö" not in text
    assert "example.org" not in text


def test_fairness_report_figures():
    from polku.juries.selectors import fairness_report

    jury, draw = drawn_jury()
    report = fairness_report(jury=jury, draw=draw, run=None)
    assert report["n"] == 12
    assert report["equal_share"] == pytest.approx(4 / 12)
    assert report["min"] == pytest.approx(1 / 3, abs=0.002)
    assert report["gini"] == pytest.approx(0.0, abs=0.002)
    assert sum(report["probabilities"].values()) == pytest.approx(4.0)
    assert [r["seated"] for r in report["quota_rows"]] == [2, 2]

import csv
import math

import orjson
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from polku.core import net, ratelimit
from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.juries import lottery_adapter as lottery
from polku.juries import selectors, services
from polku.juries.explain import (
    audit_rows,
    member_count_texts,
    panel_done_text,
    replacement_text,
    verify_texts,
)
from polku.juries.forms import (
    ActionForm,
    AttributeValuesForm,
    DrawForm,
    ExclusionForm,
    JuryForm,
    PoolImportForm,
    RecommendationForm,
    RedrawForm,
    ResponseForm,
    SignupForm,
    StatementForm,
    VerifyForm,
    VoteForm,
)
from polku.juries.models import Jury, JuryMember, LotteryRun, Vote
from polku.organisations.rules import has_perm
from polku.paths.selectors import path_get, path_queryset
from polku.reports.exporting import neutralise_cell

MAX_VERIFY_BYTES = 5 * 1024 * 1024


class _SafeWriter:
    """csv.writer whose text cells are neutralised like the path exports' (no formulas)."""

    def __init__(self, stream: HttpResponse) -> None:
        self._writer = csv.writer(stream)

    def writerow(self, row: list) -> None:
        self._writer.writerow([neutralise_cell(cell) for cell in row])


def _jury(request: OrganisationRequest, pk: int) -> Jury:
    return selectors.jury_get(membership=request.membership, pk=pk)


def _url(request: OrganisationRequest, name: str, jury: Jury, *args) -> str:
    return reverse(f"juries:{name}", args=[request.organisation.slug, jury.pk, *args])


def _ctx(request: OrganisationRequest, jury: Jury, tab: str, **extra) -> dict:
    return {
        "jury": jury,
        "tab": tab,
        "can_manage": has_perm(request.membership, "jury.manage"),
        **extra,
    }


def _int_param(value: str | None) -> int:
    """An id from a form field; anything that is not a small positive integer becomes 0."""
    value = (value or "").strip()
    return int(value) if value.isdigit() and len(value) < 18 else 0


def _error_list(exc: ValidationError) -> list[str]:
    return list(exc.messages)


# -- frame ----------------------------------------------------------------------------------
@organisation_view("jury.view")
def jury_list(request: OrganisationRequest) -> HttpResponse:
    membership = request.membership
    return render(
        request,
        "juries/jury_list.html",
        {
            "juries": selectors.jury_list(membership=membership),
            "paths": path_queryset(membership=membership),
            "can_manage": has_perm(membership, "jury.manage"),
        },
    )


@organisation_view("jury.manage")
def jury_create(request: OrganisationRequest) -> HttpResponse:
    try:
        path_pk = int(request.GET.get("path") or request.POST.get("path") or 0)
    except ValueError:
        raise Http404
    path = path_get(membership=request.membership, pk=path_pk)
    form = JuryForm(request.POST or None, path=path)
    if request.method == "POST" and form.is_valid():
        try:
            jury = services.jury_create(path=path, created_by=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Jury created. Next, import the pool of volunteers."))
            return redirect(_url(request, "pool", jury))
    return render(request, "juries/jury_form.html", {"form": form, "path": path, "jury": None})


@organisation_view("jury.manage")
def jury_edit(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    initial = {
        "question": jury.question,
        "commissioner": jury.commissioner,
        "commitment": jury.commitment,
        "response_days": jury.response_days,
        "steering_group": jury.steering_group,
        "panel_size": jury.panel_size,
        "max_per_team": jury.max_per_team,
        "tally_visibility": jury.tally_visibility,
        "sessions": jury.sessions.all(),
    }
    form = JuryForm(request.POST or None, path=jury.path, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.jury_update(jury=jury, actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Jury saved."))
            return redirect(_url(request, "detail", jury))
    return render(request, "juries/jury_form.html", {"form": form, "path": jury.path, "jury": jury})


@organisation_view("jury.view")
def jury_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = selectors.draw_current(jury=jury)
    members = selectors.panel_members(jury=jury, draw=draw)
    steps = [
        (_("Frame"), True, _url(request, "edit", jury)),
        (_("Pool"), jury.pool.exists(), _url(request, "pool", jury)),
        (_("Quotas"), jury.quotas.exists(), _url(request, "quotas", jury)),
        (_("Lottery committed"), draw is not None, _url(request, "lottery", jury)),
        (
            _("Panel drawn"),
            draw is not None and draw.panel_index is not None,
            _url(request, "lottery", jury),
        ),
        (
            _("Recommendations"),
            jury.recommendations.exists(),
            _url(request, "recommendations", jury),
        ),
        (
            _("Statement published"),
            jury.statement_published_at is not None,
            _url(request, "statement", jury),
        ),
    ]
    next_step = next((i for i, (_label, done, _link) in enumerate(steps) if not done), None)
    return render(
        request,
        "juries/jury_detail.html",
        _ctx(
            request,
            jury,
            "detail",
            steps=steps,
            next_step=next_step,
            sessions=jury.sessions.all(),
            steering=[line for line in jury.steering_group.splitlines() if line.strip()],
            count_texts=member_count_texts(selectors.member_counts(members=members)),
        ),
    )


# -- pool -----------------------------------------------------------------------------------
@organisation_view("jury.manage")
def pool(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    import_form = PoolImportForm()
    values_form = AttributeValuesForm(
        initial={
            "text": "\n".join(
                f"{k}: {', '.join(v)}" for k, v in (jury.attribute_values or {}).items()
            )
        }
    )
    import_errors: list[str] = []
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "import":
            import_form = PoolImportForm(request.POST, request.FILES)
            if import_form.is_valid():
                upload = import_form.cleaned_data["file"]
                try:
                    count = services.pool_import(
                        jury=jury,
                        filename=upload.name,
                        content=upload.read(services.MAX_IMPORT_BYTES + 1),
                        actor=request.user,
                    )
                except ValidationError as exc:
                    import_errors = _error_list(exc)
                else:
                    messages.success(
                        request,
                        ngettext(
                            "%(n)d person imported into the pool.",
                            "%(n)d people imported into the pool.",
                            count,
                        )
                        % {"n": count},
                    )
                    return redirect(_url(request, "pool", jury))
        elif action == "values":
            values_form = AttributeValuesForm(request.POST)
            if values_form.is_valid():
                try:
                    services.jury_attribute_values_set(
                        jury=jury,
                        text=values_form.cleaned_data["text"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    values_form.add_error("text", exc)
                else:
                    messages.success(request, _("Allowed values saved."))
                    return redirect(_url(request, "pool", jury))
        elif action in ("signup_open", "signup_close"):
            try:
                if action == "signup_open":
                    services.signup_open(jury=jury, actor=request.user)
                else:
                    services.signup_close(jury=jury, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            return redirect(_url(request, "pool", jury))
        elif action == "erase":
            try:
                count = services.pool_contacts_erase(jury=jury, actor=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(
                    request,
                    ngettext(
                        "Name and email of %(n)d person erased.",
                        "Names and emails of %(n)d people erased.",
                        count,
                    )
                    % {"n": count},
                )
            return redirect(_url(request, "pool", jury))
        elif action == "exclude":
            form = ExclusionForm(request.POST)
            if form.is_valid():
                member = jury.pool.filter(pseudonym=form.cleaned_data["pseudonym"]).first()
                if member is None:
                    raise Http404
                try:
                    services.pool_member_exclude(
                        member=member,
                        excluded=form.cleaned_data["excluded"],
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                except ValidationError as exc:
                    messages.error(request, " ".join(exc.messages))
                else:
                    messages.success(request, _("Saved."))
            return redirect(_url(request, "pool", jury))
    people = list(jury.pool.all())
    attributes = sorted({a for p in people for a in p.attributes})
    return render(
        request,
        "juries/pool.html",
        _ctx(
            request,
            jury,
            "pool",
            import_form=import_form,
            values_form=values_form,
            import_errors=import_errors,
            people=people,
            attributes=attributes,
            summary=selectors.pool_summary(jury=jury),
            locked=services.draw_active(jury=jury) is not None,
            signup_url=request.build_absolute_uri(
                reverse("juries:signup", args=[jury.signup_token])
            )
            if jury.signup_token
            else "",
        ),
    )


# -- quotas ---------------------------------------------------------------------------------
def _int_or_none(value: str | None) -> int | None:
    value = (value or "").strip()
    if not value:
        return None
    number = int(value)
    if not 0 <= number <= 10_000:
        raise ValueError(value)
    return number


def _float_or_none(value: str | None) -> float | None:
    value = (value or "").strip().replace(",", ".").rstrip("%").strip()
    if not value:
        return None
    number = float(value)
    if not math.isfinite(number) or number > 1e6:
        raise ValueError(value)
    return number


@organisation_view("jury.manage")
def quotas(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    summary = selectors.pool_summary(jury=jury)
    existing = {(q.attribute, q.value): q for q in jury.quotas.all()}
    errors: list[str] = []
    refused: dict | None = None
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = request.POST.dict()
        proportional = request.POST.get("action") == "proportional"
        new_quotas = []
        try:
            for ai, (attribute, values) in enumerate(summary.items()):
                shares = {}
                for vi, value in enumerate(values):
                    share = _float_or_none(posted.get(f"q-{ai}-{vi}-share"))
                    if share is not None:
                        if share < 0:
                            raise ValueError
                        shares[value] = share
                seats = (
                    services.quotas_from_shares(
                        k=jury.panel_size, attribute=attribute, shares=shares
                    )
                    if proportional and shares
                    else {}
                )
                for vi, value in enumerate(values):
                    if value in seats:
                        lo, hi = seats[value]
                    elif proportional and shares:
                        lo, hi = 0, 0
                    else:
                        lo_raw = _int_or_none(posted.get(f"q-{ai}-{vi}-min"))
                        hi_raw = _int_or_none(posted.get(f"q-{ai}-{vi}-max"))
                        if lo_raw is None and hi_raw is None:
                            continue
                        lo = lo_raw or 0
                        hi = jury.panel_size if hi_raw is None else hi_raw
                    new_quotas.append(
                        {
                            "attribute": attribute,
                            "value": value,
                            "min": lo,
                            "max": hi,
                            "share": shares.get(value),
                        }
                    )
        except ValueError:
            errors.append(_("Seats must be whole numbers and shares non-negative numbers."))
        if not errors:
            try:
                services.quotas_set(
                    jury=jury,
                    quotas=new_quotas,
                    reason=request.POST.get("reason", ""),
                    actor=request.user,
                )
            except services.QuotasInfeasible as exc:
                refused = exc.report
            except ValidationError as exc:
                errors = _error_list(exc)
            else:
                messages.success(request, _("Quotas saved."))
                return redirect(_url(request, "quotas", jury))
    groups = []
    for ai, (attribute, values) in enumerate(summary.items()):
        rows = []
        for vi, (value, count) in enumerate(values.items()):
            q = existing.get((attribute, value))
            prefix = f"q-{ai}-{vi}"
            rows.append(
                {
                    "value": value,
                    "count": count,
                    "prefix": prefix,
                    "min": posted.get(f"{prefix}-min", q.min_seats if q else ""),
                    "max": posted.get(f"{prefix}-max", q.max_seats if q else ""),
                    "share": posted.get(
                        f"{prefix}-share",
                        f"{q.population_share:g}" if q and q.population_share is not None else "",
                    ),
                }
            )
        groups.append({"attribute": attribute, "rows": rows})
    feasibility = services.jury_feasibility(jury=jury) if summary and refused is None else None
    return render(
        request,
        "juries/quotas.html",
        _ctx(
            request,
            jury,
            "quotas",
            groups=groups,
            errors=errors,
            refused=refused,
            reason=posted.get("reason", ""),
            feasibility=feasibility,
            locked=services.draw_active(jury=jury) is not None,
            excluded_count=jury.pool.filter(excluded=True).count(),
        ),
    )


# -- lottery --------------------------------------------------------------------------------
@organisation_view("jury.view")
def lottery_page(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = selectors.draw_current(jury=jury)
    preview = selectors.run_latest(jury=jury, method=LotteryRun.Method.MAXIMIN)
    leximin = selectors.run_latest(jury=jury, method=LotteryRun.Method.LEXIMIN)
    current_hash = (
        services.instance_hash(services.jury_instance_data(jury=jury)) if jury.pool.exists() else ""
    )
    feasibility = (
        services.jury_feasibility(jury=jury) if draw is None and jury.pool.exists() else None
    )
    voided = list(jury.draws.filter(voided_at__isnull=False))
    return render(
        request,
        "juries/lottery.html",
        _ctx(
            request,
            jury,
            "lottery",
            draw=draw,
            preview=preview,
            leximin=leximin,
            current_hash=current_hash,
            feasibility=feasibility,
            draw_form=DrawForm(),
            redraw_form=RedrawForm(),
            members=selectors.panel_members(jury=jury, draw=draw),
            voided=voided,
            lottery_size=lottery.lottery_size(draw.lottery) if draw else None,
            slot_min=min(lottery.slot_marginals(draw.lottery).values(), default=0.0)
            if draw
            else None,
            digits_dice=lottery.digits_per_chunk(lottery.lottery_size(draw.lottery), "dice")
            if draw
            else None,
            digits_decimal=lottery.digits_per_chunk(lottery.lottery_size(draw.lottery), "decimal")
            if draw
            else None,
        ),
    )


@require_POST
@organisation_view("jury.manage")
def lottery_action(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    action = request.POST.get("action")
    try:
        if action == "preview":
            run = services.run_preview(jury=jury, actor=request.user)
            if run.status == LotteryRun.Status.FAILED:
                messages.error(
                    request, _("The computation failed: %(error)s") % {"error": run.error}
                )
            else:
                messages.success(request, _("MAXIMIN preview computed."))
        elif action == "leximin":
            services.run_leximin_start(jury=jury, actor=request.user)
            messages.success(
                request, _("LEXIMIN computation started. This page updates when it is ready.")
            )
        elif action == "commit":
            run = jury.runs.filter(pk=_int_param(request.POST.get("run"))).first()
            if run is None:
                raise ValidationError(_("Compute the LEXIMIN lottery first."))
            services.draw_commit(jury=jury, run=run, actor=request.user)
            messages.success(request, _("Commitment published. Now draw in public."))
        elif action == "draw":
            draw = services.draw_active(jury=jury)
            form = DrawForm(request.POST)
            if draw is None:
                raise ValidationError(_("Commit the lottery first."))
            if not form.is_valid():
                raise ValidationError(_("Choose the source and enter the digits."))
            services.draw_enter(
                draw=draw,
                kind=form.cleaned_data["kind"],
                digits=form.cleaned_data["digits"],
                actor=request.user,
            )
            messages.success(request, _("The panel has been drawn."))
        elif action == "void":
            draw = services.draw_active(jury=jury)
            if draw is None:
                raise ValidationError(_("There is no lottery to void."))
            services.draw_void(draw=draw, reason=request.POST.get("reason", ""), actor=request.user)
            messages.success(
                request, _("The lottery was voided and the reason logged. Commit a new one.")
            )
        else:
            raise Http404
    except ValidationError as exc:
        for text in exc.messages:
            messages.error(request, text)
    return redirect(_url(request, "lottery", jury))


@organisation_view("jury.view")
def run_status(request: OrganisationRequest, pk: int, run_pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    run = jury.runs.filter(pk=run_pk).first()
    if run is None:
        raise Http404
    response = render(request, "juries/_run_status.html", _ctx(request, jury, "lottery", run=run))
    if run.status in (LotteryRun.Status.DONE, LotteryRun.Status.FAILED):
        response["HX-Refresh"] = "true"
    return response


@organisation_view("jury.view")
def lottery_download(request: OrganisationRequest, pk: int, draw_pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = jury.draws.filter(pk=draw_pk).first()
    if draw is None:
        raise Http404
    response = JsonResponse(
        services.lottery_file(draw=draw), json_dumps_params={"ensure_ascii": False, "indent": 1}
    )
    response["Content-Disposition"] = (
        f'attachment; filename="raati-{jury.pk}-arvonta-{draw.pk}.json"'
    )
    return response


# -- fairness -------------------------------------------------------------------------------
@organisation_view("jury.view")
def fairness(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = selectors.draw_current(jury=jury)
    run = selectors.run_latest(jury=jury, method=LotteryRun.Method.LEXIMIN) or selectors.run_latest(
        jury=jury, method=LotteryRun.Method.MAXIMIN
    )
    report = selectors.fairness_report(jury=jury, draw=draw, run=run)
    return render(
        request, "juries/fairness.html", _ctx(request, jury, "fairness", report=report, draw=draw)
    )


@organisation_view("jury.view")
def fairness_csv(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = selectors.draw_current(jury=jury)
    run = selectors.run_latest(jury=jury, method=LotteryRun.Method.LEXIMIN) or selectors.run_latest(
        jury=jury, method=LotteryRun.Method.MAXIMIN
    )
    report = selectors.fairness_report(jury=jury, draw=draw, run=run)
    if report is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="raati-{jury.pk}-reiluus.csv"'
    response.write("\ufeff")
    writer = _SafeWriter(response)
    writer.writerow(
        [
            "pseudonym",
            "probability",
            "solver_probability",
            "equal_share_k_over_n",
            "below_equal_share",
        ]
    )
    for row in report["rows"]:
        writer.writerow(
            [
                row["pseudonym"],
                f"{row['probability']:.6f}",
                f"{row['solver']:.6f}",
                f"{report['equal_share']:.6f}",
                int(row["below"]),
            ]
        )
    writer.writerow([])
    writer.writerow(["summary", "value"])
    for key in (
        "n",
        "k",
        "equal_share",
        "min",
        "max",
        "gini",
        "share_below_equal",
        "distinct_panels",
        "support",
        "method",
    ):
        value = report[key]
        writer.writerow([key, f"{value:.6f}" if isinstance(value, float) else value])
    writer.writerow([])
    writer.writerow(["attribute", "value", "min", "max", "drawn_panel"])
    for row in report["quota_rows"]:
        q = row["quota"]
        writer.writerow(
            [
                q.attribute,
                q.value,
                q.min_seats,
                q.max_seats,
                "" if row["seated"] is None else row["seated"],
            ]
        )
    return response


# -- panel and invitations -------------------------------------------------------------------
PANEL_ACTIONS = {
    "resend": services.member_invitation_resend,
    "decline": services.member_decline_record,
    "withdraw": services.member_withdraw,
}


@organisation_view("jury.manage")
def panel(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    draw = selectors.draw_current(jury=jury)
    new_link: tuple[JuryMember, str] | None = None
    if request.method == "POST":
        action = request.POST.get("action", "invite")
        member = (
            jury.members.filter(pk=_int_param(request.POST.get("member")), draw=draw)
            .select_related("pool_member", "draw", "jury__path", "jury__organisation")
            .first()
            if draw is not None
            else None
        )
        try:
            if action == "invite":
                count = services.members_invite(jury=jury, actor=request.user)
                messages.success(
                    request,
                    ngettext("%(n)d invitation sent.", "%(n)d invitations sent.", count)
                    % {"n": count},
                )
            elif member is None or action not in (*PANEL_ACTIONS, "link"):
                raise ValidationError(_("Choose a juror on the panel."))
            elif action == "link":
                # the link is shown once in this response, never stored or put in a message
                new_link = (
                    member,
                    services.member_link_create(member=member, actor=request.user),
                )
            else:
                PANEL_ACTIONS[action](member=member, actor=request.user)
                messages.success(request, panel_done_text(action, member.pool_member.pseudonym))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        if new_link is None:
            return redirect(_url(request, "panel", jury))
    members = selectors.panel_members(jury=jury, draw=draw)
    alternates = selectors.alternates_per_seat(jury=jury, draw=draw, members=members)
    for m in members:
        m.alternates = alternates.get(m.pk)  # type: ignore[attr-defined]
        m.replacement_text = replacement_text(m)  # type: ignore[attr-defined]
    counts = selectors.member_counts(members=members)
    return render(
        request,
        "juries/panel.html",
        _ctx(
            request,
            jury,
            "panel",
            draw=draw,
            members=members,
            count_texts=member_count_texts(counts),
            to_invite=counts[JuryMember.Status.SELECTED],
            quota_rows=selectors.quota_rows(jury=jury, draw=draw),
            new_link=new_link,
            can_withdraw=jury.statement_published_at is None,
        ),
    )


@organisation_view("jury.view")
def audit(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    ok, bad_seq = services.audit_verify(jury=jury)
    return render(
        request,
        "juries/audit.html",
        _ctx(
            request,
            jury,
            "audit",
            entries=audit_rows(
                list(selectors.audit_entries(jury=jury)),
                dict(jury.recommendations.values_list("pk", "position")),
            ),
            chain_ok=ok,
            bad_seq=bad_seq,
        ),
    )


# -- recommendations ------------------------------------------------------------------------
@organisation_view("jury.view")
def recommendations(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    form = RecommendationForm(request.POST or None)
    if request.method == "POST":
        if not has_perm(request.membership, "jury.manage"):
            raise Http404
        if request.POST.get("action") == "reveal":
            services.tallies_reveal(jury=jury, actor=request.user)
            messages.success(request, _("The jurors now see the tallies."))
            return redirect(_url(request, "recommendations", jury))
        if form.is_valid():
            try:
                services.recommendation_create(
                    jury=jury,
                    title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"],
                    actor_label=services._actor(request.user),
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Recommendation added."))
                return redirect(_url(request, "recommendations", jury))
    return render(
        request,
        "juries/recommendations.html",
        _ctx(
            request,
            jury,
            "recommendations",
            recs=selectors.recommendations_with_support(jury=jury),
            form=form,
            **selectors.voter_counts(jury=jury),
        ),
    )


def _edit_recommendation(
    request: HttpRequest, rec, actor_label: str, template: str, ctx: dict, done_url: str
):
    form = RecommendationForm(
        request.POST or None, initial={"title": rec.title, "body": rec.body, "version": rec.version}
    )
    conflict = None
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_update(
                recommendation=rec,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                expected_version=form.cleaned_data["version"] or 0,
                actor_label=actor_label,
            )
        except services.VersionConflict as exc:
            conflict = exc.current
            form = RecommendationForm(
                data={"title": conflict.title, "body": conflict.body, "version": conflict.version}
            )
            form.is_valid()
            form.add_error(None, exc)
            ctx["mine"] = {
                "title": request.POST.get("title", ""),
                "body": request.POST.get("body", ""),
            }
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Recommendation saved."))
            return redirect(done_url)
    return render(request, template, {**ctx, "form": form, "rec": rec, "conflict": conflict})


@organisation_view("jury.manage")
def recommendation_edit(request: OrganisationRequest, pk: int, rec_pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    rec = jury.recommendations.filter(pk=rec_pk).first()
    if rec is None:
        raise Http404
    return _edit_recommendation(
        request,
        rec,
        services._actor(request.user),
        "juries/recommendation_edit.html",
        _ctx(request, jury, "recommendations"),
        _url(request, "recommendations", jury),
    )


# -- statement and response -------------------------------------------------------------------
@organisation_view("jury.view")
def statement(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    form = StatementForm(request.POST or None, initial={"intro": jury.statement_intro})
    if request.method == "POST":
        if not has_perm(request.membership, "jury.manage"):
            raise Http404
        if form.is_valid():
            try:
                services.statement_publish(
                    jury=jury, intro=form.cleaned_data["intro"], actor=request.user
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(
                    request, _("Statement published. The commissioner's answers are now due.")
                )
                return redirect(_url(request, "statement", jury))
    recs = selectors.recommendations_with_support(jury=jury)
    return render(
        request,
        "juries/statement.html",
        _ctx(
            request,
            jury,
            "statement",
            recs=recs,
            form=form,
            jurors=jury.members.filter(
                status=JuryMember.Status.ACCEPTED, draw__voided_at__isnull=True
            ).count(),
            public_url=request.build_absolute_uri(
                reverse("juries:public_statement", args=[jury.public_token])
            )
            if jury.public_token
            else "",
        ),
    )


def _statement_pdf_response(request: HttpRequest, jury: Jury) -> HttpResponse:
    from django.template.loader import render_to_string
    from weasyprint import HTML

    html = render_to_string(
        "juries/statement_pdf.html",
        {"jury": jury, "recs": selectors.recommendations_with_support(jury=jury)},
        request=request,
    )
    pdf = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="raati-{jury.pk}-kannanotto.pdf"'
    return response


@organisation_view("jury.view")
def statement_pdf(request: OrganisationRequest, pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    if jury.statement_published_at is None:
        raise Http404
    return _statement_pdf_response(request, jury)


@organisation_view("jury.manage")
def response_edit(request: OrganisationRequest, pk: int, rec_pk: int) -> HttpResponse:
    jury = _jury(request, pk)
    rec = jury.recommendations.filter(pk=rec_pk).first()
    if rec is None:
        raise Http404
    current = getattr(rec, "response", None) if hasattr(rec, "response") else None
    form = ResponseForm(
        request.POST or None,
        initial={"decision": current.decision, "reasons": current.reasons} if current else {},
    )
    action_form = ActionForm(request.POST or None, prefix="action", path=jury.path)
    if request.method == "POST":
        if request.POST.get("action") == "followup":
            form = ResponseForm(
                initial={"decision": current.decision, "reasons": current.reasons}
                if current
                else {}
            )
            if action_form.is_valid():
                try:
                    services.action_create(
                        recommendation=rec, actor=request.user, **action_form.cleaned_data
                    )
                except ValidationError as exc:
                    action_form.add_error(None, exc)
                else:
                    messages.success(
                        request,
                        _("The experiment was added to the path; the unit follows it up."),
                    )
                    return redirect(_url(request, "statement", jury))
        else:
            action_form = ActionForm(prefix="action", path=jury.path)
            if form.is_valid():
                try:
                    services.response_save(
                        recommendation=rec, actor=request.user, **form.cleaned_data
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    messages.success(request, _("Response saved."))
                    return redirect(_url(request, "statement", jury))
    return render(
        request,
        "juries/response_form.html",
        _ctx(
            request, jury, "statement", rec=rec, form=form, action_form=action_form, current=current
        ),
    )


# -- public: verify, juror's own page --------------------------------------------------------
def verify(request: HttpRequest) -> HttpResponse:
    """Anyone can re-check a published lottery file (no login): bounded in size and, per
    address, in how often (each check costs seconds of CPU for a big pool)."""
    form = VerifyForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and not ratelimit.hit("upload.address", net.client_ip(request)):
        form.add_error(None, _("Too many files checked from your address. Try again in a while."))
        return render(request, "juries/verify.html", {"form": form, "result": None}, status=429)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_VERIFY_BYTES:
            form.add_error("file", _("The file is too large (at most 5 MB)."))
            return render(request, "juries/verify.html", {"form": form, "result": None})
        raw = upload.read(MAX_VERIFY_BYTES + 1)
        try:
            # orjson refuses nesting deeper than 1,024 levels (json.loads would recurse away)
            data = orjson.loads(raw.removeprefix(b"\xef\xbb\xbf"))
        except orjson.JSONDecodeError:
            data = None
        checked = lottery.verify_lottery_file(data)
        result = {
            "ok": checked.ok,
            "problems": verify_texts(checked),
            "commitment": data.get("commitment") if isinstance(data, dict) else "",
            "number": checked.index + 1 if checked.index is not None else None,
            "m": checked.m,
        }
    return render(request, "juries/verify.html", {"form": form, "result": result})


def _vote_levels(request: HttpRequest, recs) -> dict[int, int]:
    """``level-<recommendation id>`` fields (one radio group per recommendation); anything that
    is not one of the five levels is left out."""
    levels = {}
    for rec in recs:
        values = request.POST.getlist(f"level-{rec.pk}")
        raw = values[0] if len(values) == 1 else ""  # a list where one value belongs: refused
        if raw.isdigit() and int(raw) in Vote.Level.values:
            levels[rec.pk] = int(raw)
    return levels


def _member_recs(jury: Jury, juror: JuryMember) -> list:
    recs = selectors.recommendations_with_support(jury=jury)
    votes = selectors.member_votes(member=juror)
    for rec in recs:
        rec.my_vote = votes.get(rec.pk)  # type: ignore[attr-defined]
        rec.tally_visible = selectors.tally_visible(jury=jury, voted=rec.pk in votes)  # type: ignore[attr-defined]
    return recs


def member(request: HttpRequest, token: str) -> HttpResponse:
    juror = services.member_by_token(token=token)
    if juror is None:
        return render(request, "juries/member_invalid.html", status=404)
    jury = juror.jury
    if request.method == "POST":
        action = request.POST.get("action")
        htmx = request.headers.get("HX-Request") == "true"
        try:
            if action in ("accept", "decline"):
                services.member_respond(member=juror, accept=action == "accept")
                if action == "accept":
                    messages.success(request, _("Thank you! You are a member of the jury."))
                else:
                    messages.success(
                        request, _("Thank you for letting us know. An alternate will be invited.")
                    )
                    return redirect("juries:member_done")
            elif action == "withdraw":
                services.member_withdraw(member=juror)
                return redirect(reverse("juries:member_done") + "?left=withdrawn")
            elif action == "vote" and htmx:
                # one recommendation, saved as the juror taps it; only its card is swapped
                rec = jury.recommendations.filter(
                    pk=_int_param(request.POST.get("recommendation"))
                ).first()
                levels = _vote_levels(request, [rec] if rec else [])
                if rec is None or rec.pk not in levels:
                    raise ValidationError(_("Choose one of the five options."))
                services.vote_cast(member=juror, recommendation=rec, level=levels[rec.pk])
                recs = _member_recs(jury, juror)
                return render(
                    request,
                    "juries/_member_vote_result.html",
                    {
                        "rec": next(r for r in recs if r.pk == rec.pk),
                        "jury": jury,
                        "voted": sum(1 for r in recs if r.my_vote),
                        "total": len(recs),
                        "saved": True,
                    },
                )
            elif action == "vote":
                # without JavaScript: every chosen view in one submit
                levels = _vote_levels(request, jury.recommendations.all())
                if not levels:
                    raise ValidationError(_("Choose one of the five options."))
                count = services.votes_cast(member=juror, levels=levels)
                messages.success(
                    request,
                    ngettext("Your view was saved.", "Your %(n)d views were saved.", count)
                    % {"n": count},
                )
        except ValidationError as exc:
            if htmx:
                return render(
                    request,
                    "juries/_member_vote_error.html",
                    {"errors": exc.messages},
                    status=200,
                )
            for text in exc.messages:
                messages.error(request, text)
        return redirect("juries:member", token=token)
    recs = _member_recs(jury, juror) if juror.status == JuryMember.Status.ACCEPTED else []
    return render(
        request,
        "juries/member.html",
        {
            "juror": juror,
            "jury": jury,
            "sessions": jury.sessions.all(),
            "recs": recs,
            "voted": sum(1 for r in recs if r.my_vote),
            "levels": VoteForm.base_fields["level"].choices,
            "token": token,
        },
    )


def member_recommendation_edit(request: HttpRequest, token: str, rec_pk: int) -> HttpResponse:
    juror = services.member_by_token(token=token)
    if juror is None or juror.status != JuryMember.Status.ACCEPTED:
        return render(request, "juries/member_invalid.html", status=404)
    rec = juror.jury.recommendations.filter(pk=rec_pk).first()
    if rec is None:
        raise Http404
    done = reverse("juries:member", args=[token])
    return _edit_recommendation(
        request,
        rec,
        juror.pool_member.pseudonym,
        "juries/member_recommendation_edit.html",
        {"jury": juror.jury, "token": token},
        done,
    )


def member_new_recommendation(request: HttpRequest, token: str) -> HttpResponse:
    juror = services.member_by_token(token=token)
    if juror is None or juror.status != JuryMember.Status.ACCEPTED:
        return render(request, "juries/member_invalid.html", status=404)
    form = RecommendationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.recommendation_create(
                jury=juror.jury,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                actor_label=juror.pool_member.pseudonym,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Recommendation added."))
            return redirect("juries:member", token=token)
    return render(
        request,
        "juries/member_recommendation_edit.html",
        {"jury": juror.jury, "token": token, "form": form, "rec": None},
    )


def member_done(request: HttpRequest) -> HttpResponse:
    return render(
        request, "juries/member_done.html", {"withdrawn": request.GET.get("left") == "withdrawn"}
    )


# -- public: published statement, volunteer sign-up -------------------------------------------
def public_statement(request: HttpRequest, token: str) -> HttpResponse:
    """The published statement for everyone with the link (no login, no names)."""
    jury = selectors.jury_by_public_token(token=token)
    if jury is None:
        return render(request, "juries/statement_missing.html", status=404)
    if request.GET.get("format") == "pdf":
        return _statement_pdf_response(request, jury)
    return render(
        request,
        "juries/public_statement.html",
        {"jury": jury, "recs": selectors.recommendations_with_support(jury=jury)},
    )


def signup(request: HttpRequest, token: str) -> HttpResponse:
    jury = selectors.jury_by_signup_token(token=token)
    if jury is None:
        return render(request, "juries/signup_closed.html", status=404)
    form = SignupForm(
        request.POST or None,
        attributes=services.signup_attributes(jury=jury),
        ask_team=bool(jury.max_per_team),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.pool_volunteer_add(
                jury=jury,
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
                team=form.cleaned_data.get("team", ""),
                features=form.features(),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return render(request, "juries/signup_thanks.html", {"jury": jury})
    return render(request, "juries/signup.html", {"jury": jury, "form": form})

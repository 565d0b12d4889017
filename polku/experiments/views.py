"""Experiment pages. Thin: load the path through `path_get` (tenant + unit scope), check
permission, call one service, render."""

from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from polku.core.params import int_param
from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.experiments import selectors, services
from polku.experiments.forms import (
    AdoptForm,
    CheckInForm,
    DecideForm,
    ExperimentForm,
    MeasureTypeForm,
    MemberForm,
    ReportForm,
)
from polku.experiments.models import CheckIn, Experiment
from polku.experiments.origins import experiment_origins
from polku.organisations.rules import has_perm, sees_whole_organisation
from polku.paths.selectors import path_get


def _path(request: OrganisationRequest, path_pk: int):
    return path_get(membership=request.membership, pk=path_pk)


def _detail_url(request: OrganisationRequest, experiment: Experiment) -> str:
    return reverse(
        "experiments:detail",
        args=[request.organisation.slug, experiment.path_id, experiment.pk],
    )


def _require_edit(request: OrganisationRequest, experiment: Experiment) -> None:
    if not selectors.can_edit_experiment(request.membership, experiment):
        raise PermissionDenied


def _int(value: str | None) -> int | None:
    return int_param(value)


def _units_for(request: OrganisationRequest, path):
    membership = request.membership
    units = path.units.order_by("name")
    if not sees_whole_organisation(membership):
        units = units.filter(pk=membership.unit_id)
    return units


# --------------------------------------------------------------------------- board


@organisation_view("experiment.view")
def board(request: OrganisationRequest, path_pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    membership = request.membership
    status = request.GET.get("status", "")
    if status not in Experiment.Status.values:
        status = ""
    unit_id = _int(request.GET.get("unit"))
    topic = request.GET.get("topic", "")[:200]
    group = request.GET.get("group", "status")
    experiments = selectors.experiment_board(path=path, status=status, unit_id=unit_id, topic=topic)
    if group == "unit":
        columns: dict[str, list] = {}
        for e in experiments:
            columns.setdefault(e.unit.name if e.unit else "–", []).append(e)
    elif group == "topic":
        columns = {}
        for e in experiments:
            columns.setdefault(e.topic_title or _("No topic"), []).append(e)
        columns = dict(sorted(columns.items()))
    else:
        group = "status"
        columns = {str(label): [] for value, label in Experiment.Status.choices}
        labels = dict(Experiment.Status.choices)
        for e in experiments:
            columns[str(labels[e.status])].append(e)
    manage = has_perm(membership, "experiment.manage")
    next_day = selectors.next_workshop_day(path=path) if manage else None
    return render(
        request,
        "experiments/board.html",
        {
            "path": path,
            "columns": columns,
            "group": group,
            "count": len(experiments),
            "status": status,
            "unit_id": unit_id,
            "topic": topic,
            "statuses": Experiment.Status.choices,
            "units": path.units.order_by("name"),
            "topics": selectors.experiment_topics(path=path),
            "can_create": has_perm(membership, "experiment.edit"),
            "can_manage": manage,
            "next_day": next_day,
            "not_reported": (
                selectors.experiments_not_reported(path=path, before=next_day) if manage else []
            ),
        },
    )


# --------------------------------------------------------------------------- detail


def _chart(series) -> dict | None:
    """Coordinates for a small inline SVG: actual (cumulative) over check-ins vs. target."""
    points = [p for p in series.points if p.cumulative is not None]
    if not points:
        return None
    width, height, pad = 320, 120, 8
    top = max([series.measure.target, *[p.cumulative for p in points]]) or Decimal(1)
    n = len(points)

    def y(v: Decimal) -> float:
        return round(height - pad - float(v / top) * (height - 2 * pad), 1)

    coords = [
        (round(pad + (i * (width - 2 * pad) / max(n - 1, 1)), 1), y(p.cumulative))
        for i, p in enumerate(points)
    ]
    return {
        "width": width,
        "height": height,
        "polyline": " ".join(f"{x:.1f},{yy:.1f}" for x, yy in coords),
        # Strings, so that number localisation (17,5) cannot reach SVG attributes.
        "dots": [(f"{x:.1f}", f"{yy:.1f}") for x, yy in coords],
        "target_y": f"{y(series.measure.target):.1f}",
    }


@organisation_view("experiment.view")
def detail(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    membership = request.membership
    experiment = selectors.experiment_get(path=path, pk=pk)
    series = selectors.experiment_series(experiment=experiment)
    for s in series:
        s.chart = _chart(s)  # type: ignore[attr-defined]
    can_edit = selectors.can_edit_experiment(membership, experiment)
    manage = has_perm(membership, "experiment.manage")
    lineage = selectors.experiment_lineage(experiment=experiment)
    return render(
        request,
        "experiments/detail.html",
        {
            "path": path,
            "experiment": experiment,
            "series": series,
            "origins": experiment_origins(experiments=[experiment]).get(experiment.pk, []),
            "checkins": selectors.experiment_checkins(experiment=experiment),
            "log": experiment.log.select_related("actor"),
            "members": experiment.members.all(),
            "lineage": lineage,
            "similar": selectors.similar_experiments(
                experiment=experiment, lineage_pks={node.experiment.pk for node in lineage}
            ),
            "rounds": selectors.experiment_rounds(experiment=experiment),
            "can_edit": can_edit,
            "can_manage": manage,
            "adopt_units": selectors.adoptable_units(
                membership=membership, path=path, experiment=experiment
            ),
            "interest": selectors.adoption_interest(experiment=experiment),
            "links": experiment.links.all()[:10] if manage else [],
            "report_form": ReportForm(),
            "member_form": MemberForm(),
        },
    )


# --------------------------------------------------------------------------- create & edit


@organisation_view("experiment.edit")
def experiment_edit(
    request: OrganisationRequest, path_pk: int, pk: int | None = None
) -> HttpResponse:
    path = _path(request, path_pk)
    experiment = selectors.experiment_get(path=path, pk=pk) if pk else None
    if experiment is not None:
        _require_edit(request, experiment)
    measure_types = list(path.measure_types.all())
    initial: dict = {}
    if experiment is not None:
        initial = {f: getattr(experiment, f) for f in services.PLAN_FIELDS}
        initial["unit"] = experiment.unit
        for m in experiment.measures.all():
            initial[f"target_{m.measure_type_id}"] = m.target.normalize()
    elif request.membership.unit_id:
        initial["unit"] = request.membership.unit
    form = ExperimentForm(
        request.POST or None,
        units=_units_for(request, path),
        measure_types=measure_types,
        initial=initial,
    )
    if not sees_whole_organisation(request.membership):
        form.fields["unit"].required = True  # so that they can keep editing it
    if request.method == "POST" and form.is_valid():
        try:
            if experiment is None:
                experiment = services.experiment_create(
                    path=path,
                    unit=form.cleaned_data["unit"],
                    targets=form.targets(),
                    created_by=request.user,
                    **form.plan(),
                )
            else:
                services.experiment_update(
                    experiment=experiment,
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    targets=form.targets(),
                    **form.plan(),
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Experiment saved."))
            return redirect(_detail_url(request, experiment))
    return render(
        request,
        "experiments/experiment_form.html",
        {
            "path": path,
            "experiment": experiment,
            "form": form,
            "topics": selectors.topic_suggestions(path=path),
            "what_works": selectors.what_works(path=path),
            "no_measures": not measure_types,
            "can_manage": has_perm(request.membership, "experiment.manage"),
        },
    )


@require_POST
@organisation_view("experiment.edit")
def experiment_action(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    experiment = selectors.experiment_get(path=path, pk=pk)
    _require_edit(request, experiment)
    action = request.POST.get("action")
    user = request.user
    try:
        if action == "start":
            services.experiment_start(experiment=experiment, actor=user)
            messages.success(request, _("The experiment is running."))
        elif action == "report":
            form = ReportForm(request.POST)
            summary = form.cleaned_data["summary"] if form.is_valid() else ""
            services.experiment_report(experiment=experiment, summary=summary, actor=user)
            messages.success(request, _("Results reported."))
        elif action == "add_member":
            form = MemberForm(request.POST)
            if form.is_valid():
                services.experiment_member_add(experiment=experiment, **form.cleaned_data)
                messages.success(request, _("Team member added."))
            else:
                messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        elif action == "remove_member":
            member = experiment.members.filter(pk=_int(request.POST.get("member"))).first()
            if member is None:
                raise Http404
            services.experiment_member_remove(member=member)
            messages.success(request, _("Team member removed."))
        elif action in ("send_link", "revoke_link"):
            if not has_perm(request.membership, "experiment.manage"):
                raise PermissionDenied
            if action == "send_link":
                services.checkin_link_send_now(experiment=experiment)
                messages.success(
                    request,
                    _("A check-in link was sent to %(email)s.")
                    % {"email": experiment.contact_email},
                )
            else:
                link = experiment.links.filter(pk=_int(request.POST.get("link"))).first()
                if link is None:
                    raise Http404
                services.checkin_link_revoke(link=link)
                messages.success(request, _("The link no longer works."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(_detail_url(request, experiment))


@organisation_view("experiment.edit")
def decide(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    experiment = selectors.experiment_get(path=path, pk=pk)
    _require_edit(request, experiment)
    units = path.units.exclude(pk=experiment.unit_id).order_by("name")
    form = DecideForm(request.POST or None, units=units)
    can_scale = has_perm(request.membership, "experiment.manage")
    if not can_scale:
        # Copying into other units is the coordinator's call; a unit team decides its own.
        del form.fields["scale_to_units"]
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        data.setdefault("scale_to_units", [])
        try:
            services.experiment_decide(
                experiment=experiment,
                decision=data["decision"],
                note=data["note"],
                actor=request.user,
                next_round_first_step_on=data["next_round_first_step_on"],
                scale_to_units=data["scale_to_units"] if data["decision"] == "scale" else (),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Decision saved."))
            nxt = Experiment.objects.filter(previous_round=experiment).first()
            return redirect(_detail_url(request, nxt or experiment))
    return render(
        request,
        "experiments/decide.html",
        {"path": path, "experiment": experiment, "form": form},
    )


# --------------------------------------------------------------------------- check-ins


@organisation_view("experiment.edit")
def checkin_app(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    """A logged-in team member records a check-in for the current period."""
    path = _path(request, path_pk)
    experiment = selectors.experiment_get(path=path, pk=pk)
    _require_edit(request, experiment)
    measures = list(experiment.measures.select_related("measure_type"))
    slot_obj = services.checkin_current_slot(experiment=experiment)
    taken = set(experiment.checkins.values_list("slot", flat=True))
    slot = slot_obj.date if slot_obj and slot_obj.date not in taken else timezone.localdate()
    form = CheckInForm(request.POST or None, measures=measures)
    if request.method == "POST" and form.is_valid():
        try:
            _checkin, created = services.checkin_submit(
                experiment=experiment,
                slot=slot,
                values=form.values(),
                source=CheckIn.Source.APP,
                submitted_by=request.user,
                **form.data_for_service(),
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if created:
                messages.success(request, _("Thank you! The check-in was saved."))
            else:
                messages.warning(request, _("A check-in for this period had already been saved."))
            return redirect(_detail_url(request, experiment))
    return render(
        request,
        "experiments/checkin_form.html",
        {"path": path, "experiment": experiment, "form": form, "slot": slot, "public": False},
    )


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


LINK_PROBLEMS = {
    "unknown": (
        gettext_lazy("The link is not valid"),
        gettext_lazy("Check that you copied the whole link from the email. Nothing was saved."),
    ),
    "expired": (
        gettext_lazy("The link has expired"),
        gettext_lazy("Ask your facilitator for a new link. Nothing was saved."),
    ),
    "revoked": (
        gettext_lazy("The link no longer works"),
        gettext_lazy(
            "The link has been cancelled. Ask your facilitator for a new one. Nothing was saved."
        ),
    ),
    "used": (
        gettext_lazy("This check-in has already been received"),
        gettext_lazy(
            "Thank you! Your answers were saved the first time; nothing more was saved now."
        ),
    ),
    "closed": (
        gettext_lazy("Check-ins for this experiment have ended"),
        gettext_lazy("A decision about the experiment has been made. Nothing was saved."),
    ),
}


@never_cache
def checkin_link(request: HttpRequest, token: str) -> HttpResponse:
    """The check-in form behind a magic link: no account, phone-first."""
    try:
        link = services.checkin_link_check(token=token)
    except services.LinkInvalid as exc:
        title, text = LINK_PROBLEMS[exc.reason]
        return render(
            request,
            "experiments/checkin_link_problem.html",
            {"title": title, "text": text, "reason": exc.reason},
            status=200 if exc.reason == "used" else 410 if exc.reason != "unknown" else 404,
        )
    experiment = link.experiment
    measures = list(experiment.measures.select_related("measure_type"))
    form = CheckInForm(request.POST or None, measures=measures)
    if request.method == "POST" and form.is_valid():
        try:
            services.checkin_submit_with_link(
                token=token, values=form.values(), **form.data_for_service()
            )
        except services.LinkInvalid as exc:
            title, text = LINK_PROBLEMS[exc.reason]
            return render(
                request,
                "experiments/checkin_link_problem.html",
                {"title": title, "text": text, "reason": exc.reason},
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            return render(request, "experiments/checkin_thanks.html", {"experiment": experiment})
    response = render(
        request,
        "experiments/checkin_form.html",
        {"experiment": experiment, "form": form, "slot": link.slot, "public": True},
    )
    # The token is in the path: never leak it to other sites ("no-referrer" would make
    # Chromium send "Origin: null" on the form post, which CSRF protection refuses).
    response["Referrer-Policy"] = "same-origin"
    return response


# --------------------------------------------------------------------------- adopt


@organisation_view("experiment.adopt")
def adopt(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    membership = request.membership
    original = selectors.experiment_get(path=path, pk=pk)
    units = selectors.adoptable_units(membership=membership, path=path, experiment=original)
    interest = selectors.adoption_interest(experiment=original)
    # a unit that said "we want to try this" in a report-back round is offered first
    wanted = _int(request.GET.get("unit"))
    keen = [i.unit.pk for i in interest if i.unit is not None]
    choice = next((u for u in units if u.pk == wanted), None) or next(
        (u for pk in keen for u in units if u.pk == pk), None
    )
    form = AdoptForm(
        request.POST or None,
        units=path.units.filter(pk__in=[u.pk for u in units]).order_by("name"),
        initial={"title": original.title, "unit": choice},
    )
    if request.method == "POST" and form.is_valid():
        try:
            copy = services.experiment_adopt(
                original=original,
                actor=request.user,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("Copied to %(unit)s. Adapt it as you wish; the original team was told.")
                % {"unit": copy.unit.name if copy.unit else ""},
            )
            return redirect(_detail_url(request, copy))
    return render(
        request,
        "experiments/adopt.html",
        {
            "path": path,
            "experiment": original,
            "form": form,
            "no_units": not units,
            "interest": interest,
        },
    )


# --------------------------------------------------------------------------- library & results


@organisation_view("experiment.view")
def library(request: OrganisationRequest, path_pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    topic = request.GET.get("topic", "")[:200]
    unit_id = _int(request.GET.get("unit"))
    q = request.GET.get("q", "").strip()[:100]
    experiments = selectors.practice_library(path=path, topic=topic, unit_id=unit_id, q=q)
    similar = selectors.library_similar(path=path, q=q, exclude={e.pk for e in experiments})
    return render(
        request,
        "experiments/library.html",
        {
            "path": path,
            "experiments": experiments,
            "similar": similar,
            "topic": topic,
            "unit_id": unit_id,
            "q": q,
            "units": path.units.order_by("name"),
            "topics": selectors.experiment_topics(path=path),
        },
    )


@organisation_view("experiment.view")
def results(request: OrganisationRequest, path_pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    learnings = list(selectors.shareable_learnings(path=path).exclude(what_helped="")[:40])
    return render(
        request,
        "experiments/results.html",
        {
            "path": path,
            "rows": selectors.path_rollup(path=path),
            "open_breakdown": True,
            "learnings": learnings,
            "learning_groups": selectors.learnings_grouped(learnings=learnings),
        },
    )


@organisation_view("experiment.view")
def measure_types(request: OrganisationRequest, path_pk: int) -> HttpResponse:
    path = _path(request, path_pk)
    can_manage = has_perm(request.membership, "experiment.manage")
    form = MeasureTypeForm(request.POST or None)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied
        if form.is_valid():
            try:
                services.measure_type_create(path=path, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Measure added."))
                return redirect("experiments:measure_types", request.organisation.slug, path.pk)
    return render(
        request,
        "experiments/measure_types.html",
        {
            "path": path,
            "measure_types": path.measure_types.all(),
            "form": form,
            "can_manage": can_manage,
        },
    )

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.organisations.rules import has_perm
from polku.paths import selectors, services
from polku.paths.calendar import calendar_ics
from polku.paths.forms import AgendaSlotForm, PathCreateForm, PathEditForm, WorkshopDayForm
from polku.paths.path_templates import TEMPLATES
from polku.workshops import services as workshop_services
from polku.workshops.activity_types import activity_type_choices


def _path_url(request: OrganisationRequest, path) -> str:
    return reverse("paths:detail", args=[request.organisation.slug, path.pk])


@organisation_view("path.create")
def path_create(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = PathCreateForm(request.POST or None, organisation=organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            path = services.path_create(
                organisation=organisation,
                name=data["name"],
                goal=data["goal"],
                starts_on=data["starts_on"],
                template_key=data["template"],
                units=data["units"],
                created_by=request.user,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Path created. Adjust the dates, places and agendas."))
            return redirect(_path_url(request, path))
    return render(
        request, "paths/path_create.html", {"form": form, "templates": TEMPLATES.values()}
    )


@organisation_view("path.view")
def path_detail(request: OrganisationRequest, pk: int) -> HttpResponse:
    membership = request.membership
    path = selectors.path_detail(membership=membership, pk=pk)
    now = timezone.now()
    days = list(path.workshop_days.all())
    next_day = next((d for d in days if d.ends_at >= now), None)
    labels = dict(activity_type_choices())  # once per page, not once per agenda item
    for day in days:
        day.agenda = [  # type: ignore[attr-defined]
            (slot, labels.get(slot.activity_type, slot.activity_type) if slot.activity_type else "")
            for slot in day.agenda_slots.all()
        ]
    span = max((path.ends_on - path.starts_on).days, 1)
    for day in days:
        offset = (timezone.localtime(day.starts_at).date() - path.starts_on).days
        day.timeline_percent = max(0, min(100, round(100 * offset / span)))  # type: ignore[attr-defined]
    today_offset = (timezone.localdate() - path.starts_on).days
    feed_url = request.build_absolute_uri(
        reverse("paths:calendar_feed", args=[path.calendar_token])
    )
    return render(
        request,
        "paths/path_detail.html",
        {
            "path": path,
            "days": days,
            "next_day": next_day,
            "now": now,
            "today_percent": max(0, min(100, round(100 * today_offset / span))),
            "today_inside": 0 <= today_offset <= span,
            "can_edit": has_perm(membership, "path.edit"),
            "can_run": has_perm(membership, "workshop.run"),
            "feed_url": feed_url,
            "units": path.units.all(),
        },
    )


@organisation_view("path.edit")
def path_edit(request: OrganisationRequest, pk: int) -> HttpResponse:
    organisation = request.organisation
    path = selectors.path_get(membership=request.membership, pk=pk)
    initial = {
        "name": path.name,
        "goal": path.goal,
        "starts_on": path.starts_on,
        "ends_on": path.ends_on,
        "followup_until": path.followup_until,
        "checkin_interval_days": path.checkin_interval_days,
        "units": path.units.all(),
    }
    form = PathEditForm(request.POST or None, organisation=organisation, initial=initial)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            try:
                services.path_delete(path=path)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect("paths:edit", org_slug=request.organisation.slug, pk=path.pk)
            messages.success(request, _("Path deleted."))
            return redirect("organisations:detail", org_slug=organisation.slug)
        if request.POST.get("action") == "reset_calendar":
            services.path_calendar_token_reset(path=path)
            messages.success(
                request, _("A new calendar link was made; the old one no longer works.")
            )
            return redirect(_path_url(request, path))
        if form.is_valid():
            try:
                services.path_update(path=path, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Path saved."))
                return redirect(_path_url(request, path))
    return render(request, "paths/path_edit.html", {"form": form, "path": path})


@organisation_view("path.edit")
def workshop_day_edit(
    request: OrganisationRequest, path_pk: int, pk: int | None = None
) -> HttpResponse:
    path = selectors.path_get(membership=request.membership, pk=path_pk)
    day = (
        selectors.workshop_day_get(membership=request.membership, path=path, pk=pk) if pk else None
    )
    initial = (
        {
            "title": day.title,
            "starts_at": timezone.localtime(day.starts_at),
            "ends_at": timezone.localtime(day.ends_at),
            "mode": day.mode,
            "place": day.place,
            "video_link": day.video_link,
        }
        if day
        else {}
    )
    form = WorkshopDayForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if day is not None and request.POST.get("action") == "delete":
            try:
                workshop_services.workshop_day_delete(workshop_day=day)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, _("Workshop day removed."))
            return redirect(_path_url(request, path))
        if form.is_valid():
            try:
                if day is None:
                    workshop_services.workshop_day_create(path=path, **form.cleaned_data)
                else:
                    workshop_services.workshop_day_update(workshop_day=day, **form.cleaned_data)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Workshop day saved."))
                return redirect(_path_url(request, path))
    return render(request, "paths/workshop_day_form.html", {"form": form, "path": path, "day": day})


@organisation_view("path.edit")
def agenda_slot_edit(
    request: OrganisationRequest, path_pk: int, day_pk: int, pk: int | None = None
) -> HttpResponse:
    membership = request.membership
    path = selectors.path_get(membership=membership, pk=path_pk)
    day = selectors.workshop_day_get(membership=membership, path=path, pk=day_pk)
    slot = selectors.agenda_slot_get(workshop_day=day, pk=pk) if pk else None
    initial = (
        {
            "title": slot.title,
            "activity_type": slot.activity_type,
            "duration_minutes": slot.duration_minutes,
        }
        if slot
        else {}
    )
    form = AgendaSlotForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if slot is None:
                workshop_services.agenda_slot_add(workshop_day=day, **form.cleaned_data)
            else:
                workshop_services.agenda_slot_update(slot=slot, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Agenda saved."))
            return redirect(_path_url(request, path) + f"#day-{day.pk}")
    return render(
        request,
        "paths/agenda_slot_form.html",
        {"form": form, "path": path, "day": day, "slot": slot},
    )


@organisation_view("path.edit")
def agenda_slot_remove(
    request: OrganisationRequest, path_pk: int, day_pk: int, pk: int
) -> HttpResponse:
    """✕ on an agenda item asks first: removing it also removes what the room collected."""
    membership = request.membership
    path = selectors.path_get(membership=membership, pk=path_pk)
    day = selectors.workshop_day_get(membership=membership, path=path, pk=day_pk)
    slot = selectors.agenda_slot_get(workshop_day=day, pk=pk)
    return render(
        request, "paths/agenda_slot_remove.html", {"path": path, "day": day, "slot": slot}
    )


@require_POST
@organisation_view("path.edit")
def agenda_slot_action(
    request: OrganisationRequest, path_pk: int, day_pk: int, pk: int
) -> HttpResponse:
    membership = request.membership
    path = selectors.path_get(membership=membership, pk=path_pk)
    day = selectors.workshop_day_get(membership=membership, path=path, pk=day_pk)
    slot = selectors.agenda_slot_get(workshop_day=day, pk=pk)
    action = request.POST.get("action")
    if action == "up":
        workshop_services.agenda_slot_move(slot=slot, direction=-1)
    elif action == "down":
        workshop_services.agenda_slot_move(slot=slot, direction=1)
    elif action == "delete":
        workshop_services.agenda_slot_delete(slot=slot)
        messages.success(request, _("Agenda item removed."))
    return redirect(_path_url(request, path) + f"#day-{day.pk}")


@organisation_view("path.view")
def workshop_day_ics(request: OrganisationRequest, path_pk: int, pk: int) -> HttpResponse:
    path = selectors.path_get(membership=request.membership, pk=path_pk)
    day = selectors.workshop_day_get(membership=request.membership, path=path, pk=pk)
    response = HttpResponse(
        calendar_ics(path=path, days=[day]), content_type="text/calendar; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="polku-{day.pk}.ics"'
    return response


def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """Subscribable feed: the unguessable token is the credential (calendar apps cannot log in)."""
    path = selectors.path_by_calendar_token(token=token)
    if path is None:
        # a calendar app shows this text at best; a person who opens the link reads it
        return HttpResponse(
            _("This calendar link is not in use (it may have been replaced). "
              "Copy the current link from the path's page in Polku."),
            status=404,
            content_type="text/plain; charset=utf-8",
        )  # fmt: skip
    return HttpResponse(
        calendar_ics(path=path, days=path.workshop_days.all()),
        content_type="text/calendar; charset=utf-8",
    )

"""HTTP side of the live room: join pages, the participant shell, SSE + POST fallback,
"what is stored about me", and the facilitator's console and presenter pages."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import AsyncIterator

import orjson
import segno
from asgiref.sync import async_to_sync
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from polku.activities.registry import Rejected, registry
from polku.core import net, ratelimit
from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.grouping.services import grouping_enabled
from polku.live import engine, identity, meeting, phone_http, selectors, services
from polku.live.engine import closing, frames
from polku.live.forms import JoinCodeForm, MeetingLinkForm, RememberForm, SlotConfigForm
from polku.paths.selectors import path_get
from polku.workshops.models import WorkshopDay
from polku.workshops.services import workshop_day_close

COOKIE_AGE = 60 * 60 * 24 * 30


def _cookie_token(request: HttpRequest, code: str) -> str | None:
    token = request.COOKIES.get(identity.cookie_name(code))
    return token if identity.token_valid(token, code) else None


def _may_look_up(request: HttpRequest, code: str) -> bool:
    """Guessing codes: an address that gave too many wrong ones waits a while. A browser that
    holds this workshop's own token (it opened the page before) is never kept out."""
    if _cookie_token(request, code) is not None:
        return True
    return ratelimit.local_test("live.lookup_miss", net.client_ip(request))


def _too_many_tries(request: HttpRequest) -> HttpResponse:
    return render(request, "live/too_many_tries.html", {"form": JoinCodeForm()}, status=429)


# -- participants ----------------------------------------------------------------------------
def join(request: HttpRequest) -> HttpResponse:
    form = JoinCodeForm(request.GET or None)
    if form.is_valid():
        return redirect("live:participant", code=form.cleaned_data["code"])
    return render(request, "live/join.html", {"form": form})


def _day_or_page(request: HttpRequest, code: str) -> WorkshopDay | HttpResponse:
    day = selectors.workshop_day_by_code(code=code)
    if day is None:
        ratelimit.local_hit("live.lookup_miss", net.client_ip(request))
        form = JoinCodeForm(initial={"code": code})
        return render(request, "live/join.html", {"form": form, "unknown": code}, status=404)
    if day.status != WorkshopDay.Status.LIVE:
        # the code alone does not tell what a planned or closed day is called
        return render(request, "live/not_live.html", {"closed": day.status == "closed"})
    return day


PAGE_CACHE_SECONDS = 5


def participant(request: HttpRequest, code: str) -> HttpResponse:
    """The phone page. It is the same for every participant of a day and sets no cookie (the
    participant's token comes with the websocket handshake, or the SSE stream), so it is marked
    shareable for a few seconds: ``polku.live.phone_http`` answers a whole hall from one
    rendering per language, without a thread per phone."""
    lang = request.GET.get("lang")
    if lang in ("fi", "sv", "en"):  # the page is cached without a CSRF token: a GET switch
        response = redirect("live:participant", code=code.upper())
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, max_age=COOKIE_AGE, samesite="Lax")
        return response
    if not _may_look_up(request, code.upper()):
        return _too_many_tries(request)
    day = _day_or_page(request, code)
    if isinstance(day, HttpResponse):
        return day
    html = render_to_string(
        "live/participant.html",
        {
            "day": day,
            "code": day.join_code,
            "units": list(day.path.units.order_by("name").values("id", "name")),
            "ws_path": f"/ws/live/{day.join_code}/",
        },
        request=None,
    )
    response = HttpResponse(html)
    response["Cache-Control"] = f"public, max-age={PAGE_CACHE_SECONDS}"
    return response


def stored_about_me(request: HttpRequest, code: str) -> HttpResponse:
    if not _may_look_up(request, code.upper()):
        return _too_many_tries(request)
    day = selectors.workshop_day_by_code(code=code)
    if day is None:
        ratelimit.local_hit("live.lookup_miss", net.client_ip(request))
        return render(
            request, "live/join.html", {"form": JoinCodeForm(), "unknown": code}, status=404
        )
    token = _cookie_token(request, day.join_code)
    person = (
        selectors.participant_by_token_hash(day_id=day.pk, token_hash=identity.token_hash(token))
        if token
        else None
    )
    anon_actors = _anon_actors(day, token) if token else []
    form = RememberForm(request.POST or None)
    if request.method == "POST" and person is not None:
        if "forget" in request.POST:
            async_to_sync(engine.room_forget)(
                day.join_code, participant=person, anon_actors=anon_actors
            )
            response = render(request, "live/me.html", {"day": day, "forgotten": True})
            response.delete_cookie(identity.cookie_name(day.join_code))
            return response
        if form.is_valid():
            try:
                services.participant_remember(
                    participant=person, path_id=day.path_id, secret=form.cleaned_data["secret"]
                )
            except ValidationError as error:
                form.add_error("secret", error)
            else:
                messages.success(request, _("Saved. We will recognise you at the next workshop."))
                return redirect("live:me", code=day.join_code)
    stored = (
        selectors.participant_stored_data(participant=person, anon_actors=anon_actors)
        if person
        else None
    )
    return render(request, "live/me.html", {"day": day, "stored": stored, "form": form})


def _anon_actors(day: WorkshopDay, token: str) -> list[str]:
    return [
        identity.actor_for(slot_id=pk, anonymous=True, participant_key="", token=token)
        for pk in day.agenda_slots.values_list("pk", flat=True)
    ]


# -- fallback transport: Server-Sent Events + POST ------------------------------------------
class SseConn(engine.Conn):
    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=200)

    async def send_text(self, text: str) -> None:
        if self.queue.full():  # a stalled reader keeps only the newest messages
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
        self.queue.put_nowait(text)

    async def close(self, code: int = 1000) -> None:
        await self.send_text("")


class CollectConn(engine.Conn):
    """A POSTed frame's replies (ack/error/me), returned in the HTTP response."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.replies: list[dict] = []
        self.done = asyncio.Event()

    async def send_text(self, text: str) -> None:
        message = orjson.loads(text)
        self.replies.append(message)
        if message.get("t") in ("ack", "error", "pong", "welcome"):
            self.done.set()


async def _fallback_participant(request: HttpRequest, code: str, *, issue: bool = False):
    """The live room, the participant of this browser's cookie and the token issued now, if
    any. Without a valid cookie: (None, None, None) — unless ``issue`` (the event stream of a
    phone whose websocket never opened, so its cookie was never set): then, within the
    wrong-code limit, a new token for a live room."""
    token = _cookie_token(request, code.upper())
    issued = None
    if token is None:
        if not issue or not _may_look_up(request, code.upper()):
            return None, None, None
        token = issued = identity.token_new(code.upper())
    room = await engine.room_get(code)
    if room is None or room.status != WorkshopDay.Status.LIVE:
        if room is None and issued:
            ratelimit.local_hit("live.lookup_miss", net.client_ip(request))
        return None, None, None
    try:
        return room, room.participant_for(token, "", None, ip=net.client_ip(request)), issued
    except Rejected:
        return None, None, None


def set_participant_cookie(response: HttpResponseBase, code: str, token: str, *, secure: bool):
    response.set_cookie(
        identity.cookie_name(code), token, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
        secure=secure,
    )  # fmt: skip


async def events(request: HttpRequest, code: str) -> HttpResponseBase:
    room, info, issued = await _fallback_participant(request, code, issue=True)
    if room is None or info is None:
        return JsonResponse({"error": "not_live"}, status=404)
    conn = SseConn(audience="phone", lang=get_language() or "fi", ip=net.client_ip(request))
    conn.participant = info

    async def stream() -> AsyncIterator[str]:
        await room.add(conn)
        try:
            # EventSource reconnects after this many ms: a random 2–8 s, so a hall whose
            # connection broke at once does not come back in the same second
            yield f"retry: {2000 + secrets.randbelow(6001)}\n\n"
            while True:
                try:
                    text = await asyncio.wait_for(conn.queue.get(), timeout=20)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                if not text:
                    return
                yield f"data: {text}\n\n"
        finally:
            room.remove(conn)

    response = StreamingHttpResponse(stream(), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    if issued:
        set_participant_cookie(response, room.code, issued, secure=request.is_secure())
    response["X-Accel-Buffering"] = "no"
    return response


@csrf_exempt  # authenticated by the SameSite=Lax participant cookie; JSON body only
async def send(request: HttpRequest, code: str) -> HttpResponseBase:
    if request.method != "POST" or request.content_type != "application/json":
        return JsonResponse({"error": "method"}, status=405)
    room, info, _issued = await _fallback_participant(request, code)
    if room is None or info is None:
        return JsonResponse([{"t": "error", "code": "not_live", "id": None,
                              "message": _("This workshop is not open right now.")}],
                            safe=False, status=404)  # fmt: skip
    conn = CollectConn(audience="phone", lang=get_language() or "fi", ip=net.client_ip(request))
    conn.participant = info
    body = request.body.decode("utf-8", "replace")
    joining = False
    with contextlib.suppress(frames.FrameError):
        joining = isinstance(frames.parse(body), frames.Join)
    if joining:
        conn.replies.append({"t": "welcome", **room._welcome(conn)})
        return JsonResponse(conn.replies, safe=False)
    await room.handle(conn, body)
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(conn.done.wait(), timeout=5)
    await asyncio.sleep(0)  # let the "me" update that follows an ack arrive
    return JsonResponse(conn.replies, safe=False)


# -- facilitators ----------------------------------------------------------------------------
def _staff_day(request: OrganisationRequest, path_pk: int, day_pk: int) -> WorkshopDay:
    path = path_get(membership=request.membership, pk=path_pk)
    from django.http import Http404

    day = path.workshop_days.filter(pk=day_pk).first()
    if day is None:
        raise Http404
    return day


def _qr_svg(url: str) -> str:
    svg = segno.make(url, error="m").svg_inline(
        scale=8, border=2, dark="#000", light="#fff", omitsize=True
    )
    return mark_safe(svg)  # noqa: S308 - generated by segno from our own URL


def _join_url(request: HttpRequest, day: WorkshopDay) -> str:
    return request.build_absolute_uri(reverse("live:participant", args=[day.join_code]))


@organisation_view("workshop.run")
def console(request: OrganisationRequest, path_pk: int, day_pk: int) -> HttpResponse:
    day = _staff_day(request, path_pk, day_pk)
    slots = list(day.agenda_slots.all())
    for slot in slots:
        activity = registry.get(slot.activity_type)
        slot.has_config = bool(activity and activity.config_form)  # type: ignore[attr-defined]
    return render(
        request,
        "live/console.html",
        {
            "day": day,
            "path": day.path,
            "slots": slots,
            "ws_path": f"/ws/live/{day.join_code}/console/",
            "grouping": grouping_enabled(),
            "key": identity.staff_key(day_id=day.pk, role="console", user_id=request.user.pk),
            "screen_url": reverse(
                "live:screen",
                args=[request.organisation.slug, path_pk, day_pk],
            ),
            "join_url": _join_url(request, day),
        },
    )


@organisation_view("workshop.run")
def screen(request: OrganisationRequest, path_pk: int, day_pk: int) -> HttpResponse:
    day = _staff_day(request, path_pk, day_pk)
    join_url = _join_url(request, day)
    return render(
        request,
        "live/screen.html",
        {
            "day": day,
            "ws_path": f"/ws/live/{day.join_code}/screen/",
            "key": identity.staff_key(day_id=day.pk, role="screen", user_id=request.user.pk),
            "join_url": join_url,
            "join_host": join_url.split("/j/")[0].split("://")[-1] + "/j/",
            "qr": _qr_svg(join_url),
        },
    )


@organisation_view("workshop.run")
@require_POST
def day_status(request: OrganisationRequest, path_pk: int, day_pk: int) -> HttpResponse:
    day = _staff_day(request, path_pk, day_pk)
    status = request.POST.get("status", "")
    org = request.organisation.slug
    if status == WorkshopDay.Status.CLOSED:  # ending the day asks first
        return redirect("live:day_end", org, path_pk, day_pk)
    try:
        services.workshop_day_set_status(day=day, status=status)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        phone_http.page_cache_clear()
        async_to_sync(engine.room_reload)(day.join_code)
    return redirect("live:console", org, path_pk, day_pk)


@organisation_view("workshop.run")
def day_end(request: OrganisationRequest, path_pk: int, day_pk: int) -> HttpResponse:
    """The "End the workshop" page lists what is still open; confirming closes and saves all of it,
    then the summary is made (the ``day_closed`` steps) and the facilitator reviews it."""
    day = _staff_day(request, path_pk, day_pk)
    org = request.organisation.slug
    if request.method == "POST":
        outcomes = workshop_day_close(workshop_day=day, user=request.user)
        phone_http.page_cache_clear()
        for outcome in outcomes:
            (messages.success if outcome.ok else messages.error)(request, outcome.message)
        return redirect("reports:summary", org, path_pk, day_pk)
    return render(
        request,
        "live/day_end.html",
        {"day": day, "path": day.path, "still_open": closing.open_activities(day=day)},
    )


@organisation_view("workshop.run")
def slot_config(
    request: OrganisationRequest, path_pk: int, day_pk: int, slot_pk: int
) -> HttpResponse:
    day = _staff_day(request, path_pk, day_pk)
    from django.http import Http404

    slot = day.agenda_slots.filter(pk=slot_pk).first()
    activity = registry.get(slot.activity_type) if slot else None
    if slot is None or activity is None or activity.config_form is None:
        raise Http404
    config = activity.get_config(slot.config)
    form = SlotConfigForm.build(
        activity.config_form, request.POST or None, initial=config, path=day.path
    )
    if request.method == "POST" and form.is_valid():
        services.slot_config_update(slot=slot, activity=activity, values=form.cleaned_data)
        async_to_sync(engine.room_reload)(day.join_code)
        messages.success(request, _("Settings saved."))
        return redirect("live:console", request.organisation.slug, path_pk, day_pk)
    return render(
        request,
        "live/slot_config.html",
        {"day": day, "slot": slot, "form": form, "activity": activity, "path": day.path},
    )


@organisation_view("organisation.manage")
def meeting_settings(request: OrganisationRequest) -> HttpResponse:
    """The organisation's video-room address for the groups of remote and hybrid workshops."""
    organisation = request.organisation
    current = selectors.meeting_link_template(organisation_id=organisation.pk)
    form = MeetingLinkForm(request.POST or None, initial={"template": current})
    if request.method == "POST" and form.is_valid():
        services.meeting_link_template_set(
            organisation=organisation, template=form.cleaned_data["template"]
        )
        messages.success(request, _("Saved."))
        return redirect("live:meeting_settings", organisation.slug)
    example = meeting.room_link(
        current, day_id=0, day_title=_("Annual meeting"), group_id="g2", group_name=_("Group 2")
    )
    return render(request, "live/meeting_settings.html", {"form": form, "example": example})

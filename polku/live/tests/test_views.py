"""HTTP pages of the live room: join, friendly refusals, stored-about-me, console access."""

import pytest
from django.urls import reverse

from polku.activities.models import ActivityResult
from polku.core.tests.factories import MembershipFactory
from polku.live import identity
from polku.live.models import LiveEvent, Participant
from polku.live.tests.factories import live_day
from polku.organisations.models import Membership

pytestmark = pytest.mark.django_db


def test_join_form_redirects_to_the_room(client):
    response = client.get("/j/", {"code": " ab c2 "})
    assert response.status_code == 302
    assert response["Location"] == "/j/ABC2/"


def test_unknown_code_gets_friendly_finnish_404(client):
    response = client.get("/j/ZZZZ22/")
    assert response.status_code == 404
    assert "Koodilla ZZZZ22 ei löytynyt työpajaa." in response.content.decode()


def test_planned_and_closed_days_get_friendly_pages_without_their_title(client):
    day, _slots, _ = live_day(status="planned")
    day.title = "Salainen strategiapäivä"
    day.save()
    page = client.get(f"/j/{day.join_code}/").content.decode()
    assert "Työpaja ei ole vielä auki" in page
    assert "Salainen" not in page
    day.status = "closed"
    day.save()
    page = client.get(f"/j/{day.join_code}/").content.decode()
    assert "Työpaja on päättynyt" in page
    assert "Salainen" not in page


def test_participant_page_is_shareable_sets_no_cookie_and_has_no_inline_script(client):
    """Every phone of the hall gets the same bytes (the participant cookie comes with the
    websocket handshake), so the page may be cached for a few seconds."""
    day, _slots, _ = live_day()
    response = client.get(f"/j/{day.join_code}/")
    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=5"
    assert list(response.cookies) == []
    html = response.content.decode()
    assert "<script>" not in html and "onclick" not in html and 'style="' not in html
    assert f'data-ws="/ws/live/{day.join_code}/"' in html
    assert Participant.objects.count() == 0  # nothing stored before the phone joins


def test_stored_about_me_lists_and_deletes_everything(client):
    day, (topics, _vote), _ = live_day()
    token = identity.token_new(day.join_code)
    person = Participant.objects.create(
        workshop_day=day, token_hash=identity.token_hash(token), nickname="Maija"
    )
    anon = identity.actor_for(slot_id=topics.pk, anonymous=True, participant_key="", token=token)
    LiveEvent.objects.create(
        workshop_day=day,
        slot=topics,
        actor=anon,
        client_id="1",
        kind="card",
        data={"text": "Oma aihe"},
    )
    LiveEvent.objects.create(
        workshop_day=day,
        slot=topics,
        actor="a-other",
        client_id="1",
        kind="card",
        data={"text": "Muiden"},
    )
    client.cookies[identity.cookie_name(day.join_code)] = token
    page = client.get(f"/j/{day.join_code}/me/").content.decode()
    assert "Maija" in page and "Oma aihe" in page and "Muiden" not in page
    response = client.post(f"/j/{day.join_code}/me/", {"forget": "1"})
    assert "Kaikki sinusta tähän työpajaan tallennettu on poistettu." in response.content.decode()
    assert Participant.objects.filter(pk=person.pk).exists() is False
    assert list(LiveEvent.objects.values_list("data", flat=True)) == [{"text": "Muiden"}]


def test_remember_stores_only_a_keyed_hash(client):
    day, _slots, _ = live_day()
    token = identity.token_new(day.join_code)
    person = Participant.objects.create(workshop_day=day, token_hash=identity.token_hash(token))
    client.cookies[identity.cookie_name(day.join_code)] = token
    client.post(f"/j/{day.join_code}/me/", {"secret": "Maija@Example.org "})
    person.refresh_from_db()
    assert person.return_key == identity.return_key(path_id=day.path_id, secret="maija@example.org")
    assert "maija" not in person.return_key


def _console_url(day):
    org = day.path.organisation.slug
    return reverse("live:console", args=[org, day.path_id, day.pk])


def test_console_needs_workshop_run_permission(client):
    day, _slots, facilitator = live_day()
    viewer = MembershipFactory(organisation=day.path.organisation, role=Membership.Role.VIEWER)
    client.force_login(viewer.user)
    assert client.get(_console_url(day)).status_code == 403
    client.force_login(facilitator.user)
    response = client.get(_console_url(day))
    assert response.status_code == 200
    assert f"/ws/live/{day.join_code}/console/" in response.content.decode()


def test_console_of_another_organisation_is_404(client):
    day, _slots, _ = live_day()
    other, _s, outsider = live_day()
    client.force_login(outsider.user)
    url = reverse("live:console", args=[other.path.organisation.slug, day.path_id, day.pk])
    assert client.get(url).status_code == 404


def test_screen_page_has_qr_svg_and_code(client):
    day, _slots, facilitator = live_day()
    client.force_login(facilitator.user)
    html = client.get(_console_url(day) + "screen/").content.decode()
    assert "<svg" in html and day.join_code in html


def test_path_results_include_lists_carried_results(client, django_assert_num_queries):
    from django.template import Context, Template

    day, (_topics, vote), _ = live_day()
    ActivityResult.objects.create(
        path=day.path,
        slot=vote,
        activity_type="dot_vote",
        kind="priority",
        text="Perehdytys",
        score=12,
    )
    template = Template("{% load activities_tags %}{% path_results path %}")
    with django_assert_num_queries(1):
        html = template.render(Context({"path": day.path}))
    assert "Perehdytys" in html and "Priorisointi: pisteäänestys" in html


def test_language_switch_on_the_phone_page_sets_the_cookie(client):
    day, _slots, _ = live_day()
    response = client.get(f"/j/{day.join_code}/", {"lang": "sv"})
    assert response.status_code == 302
    assert response.cookies["polku_language"].value == "sv"
    page = client.get(f"/j/{day.join_code}/").content.decode()
    assert "Vad som sparats om mig" in page


def test_meeting_link_template_is_validated_saved_and_shown_with_an_example(client):
    from polku.live.models import MeetingLinkTemplate

    membership = MembershipFactory(role=Membership.Role.COORDINATOR)
    org = membership.organisation
    client.force_login(membership.user)
    url = f"/o/{org.slug}/meeting-rooms/"
    response = client.post(url, {"template": "http://meet.example.fi/"})
    assert response.status_code == 200
    assert (
        "Anna videopalvelunne https://-osoite, esimerkiksi https://meet.example.fi/"
        in response.content.decode()
    )
    assert MeetingLinkTemplate.objects.count() == 0
    response = client.post(url, {"template": " https://meet.example.fi/ "})
    assert response.status_code == 302
    assert MeetingLinkTemplate.objects.get(organisation=org).template == (
        "https://meet.example.fi/{room}"
    )
    page = client.get(url).content.decode()
    assert 'value="https://meet.example.fi/{room}"' in page
    assert '<code class="meeting-example">https://meet.example.fi/vuosikokous-ryhma-2-' in page
    client.post(url, {"template": ""})
    assert MeetingLinkTemplate.objects.get(organisation=org).template == ""


def test_meeting_room_names_are_readable_unguessable_and_stable():
    from polku.live import meeting

    one = meeting.room_name(day_id=7, day_title="Syyspäivä", group_id="g1", group_name="Pöytä 1")
    assert one.startswith("syyspaiva-poyta-1-")
    assert len(one.rsplit("-", 1)[1]) == 16
    assert one == meeting.room_name(day_id=7, day_title="x", group_id="g1", group_name="y").replace(
        "x-y", "syyspaiva-poyta-1"
    )
    assert one != meeting.room_name(
        day_id=8, day_title="Syyspäivä", group_id="g1", group_name="Pöytä 1"
    )
    assert meeting.room_link(
        "https://video.example.fi/r/{room}?lang=fi", day_id=7, day_title="Syyspäivä",
        group_id="g1", group_name="Pöytä 1",
    ) == f"https://video.example.fi/r/{one}?lang=fi"  # fmt: skip
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        meeting.template_clean("https://meet.example.fi/{room}/{room}")

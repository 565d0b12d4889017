"""Report pages: role × page access, query counts, share-link scoping, PDF jobs."""

import datetime as dt
import re
from urllib.parse import urljoin, urlparse

import pytest
import time_machine
from django.urls import reverse

from polku.core.tests.factories import MembershipFactory, OrganisationFactory, WorkshopDayFactory
from polku.organisations.models import Membership
from polku.reports import services
from polku.reports.models import ReportJob, ShareLink
from polku.reports.tests.factories import build_world

pytestmark = pytest.mark.django_db

ROLES = [
    "facilitator",
    "coordinator",
    "unit_contact",
    "unit_contact_elsewhere",
    "viewer",
    "outsider",
    "anonymous",
]
STAFF = {
    "facilitator": 200,
    "coordinator": 200,
    "unit_contact": 403,
    "unit_contact_elsewhere": 403,
    "viewer": 403,
}


@pytest.fixture
def world():
    w = build_world()
    w["day"] = WorkshopDayFactory(path=w["path"], title="Aloitustyöpaja", status="closed")
    w["users"]["outsider"] = MembershipFactory(
        organisation=OrganisationFactory(slug="muu"), role=Membership.Role.FACILITATOR
    ).user
    w["users"]["anonymous"] = None
    w["job"] = ReportJob.objects.create(
        path=w["path"], status=ReportJob.Status.DONE, pdf=b"%PDF-1.7 x"
    )
    return w


def urls(w):
    o, p = w["org"].slug, w["path"].pk
    return {
        "dashboard": reverse("reports:dashboard", args=[o, p]),
        "chart_csv": reverse("reports:chart_csv", args=[o, p, "funnel"]),
        "exports": reverse("reports:exports", args=[o, p]),
        "export_csv": reverse("reports:export_csv", args=[o, p, "experiments"]),
        "export_xlsx": reverse("reports:export_xlsx", args=[o, p, "all"]),
        "share_links": reverse("reports:share_links", args=[o, p]),
        "impact": reverse("reports:impact", args=[o, p]),
        "job": reverse("reports:job", args=[o, p, w["job"].pk]),
        "job_download": reverse("reports:job_download", args=[o, p, w["job"].pk]),
        "summary": reverse("reports:summary", args=[o, p, w["day"].pk]),
        "organisation_data": reverse("reports:organisation_data", args=[o]),
        "organisation_export": reverse("reports:organisation_export", args=[o]),
    }


PAGES = [
    "dashboard",
    "chart_csv",
    "exports",
    "export_csv",
    "export_xlsx",
    "share_links",
    "impact",
    "job",
    "job_download",
    "summary",
    "organisation_data",
    "organisation_export",
]


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_role_page_matrix(client, world, page, role):
    user = world["users"][role]
    if user is not None:
        client.force_login(user)
    response = client.get(urls(world)[page])
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    elif role == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == STAFF[role]


@pytest.mark.parametrize("role", ["facilitator", "unit_contact", "viewer"])
def test_only_coordinator_may_delete_the_organisation(client, world, role):
    client.force_login(world["users"][role])
    response = client.post(
        reverse("reports:organisation_delete", args=["nuoret"]), {"confirm_slug": "nuoret"}
    )
    assert response.status_code == 403


def test_outsider_cannot_reach_dashboard_by_swapping_slug(client, world):
    client.force_login(world["users"]["outsider"])
    assert (
        client.get(reverse("reports:dashboard", args=["muu", world["path"].pk])).status_code == 404
    )


@time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC), tick=False)
def test_dashboard_query_count_is_pinned(client, world, django_assert_num_queries):
    client.force_login(world["users"]["coordinator"])
    url = urls(world)["dashboard"]
    with django_assert_num_queries(DASHBOARD_QUERIES):
        response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="chart-data-funnel"' in body
    assert "chart-4.5.1.umd.min.js" in body
    # more experiments and check-ins do not add queries
    e1 = world["experiments"][0]
    from polku.experiments.models import Experiment

    for i in range(5):
        Experiment.objects.create(
            path=world["path"], unit=e1.unit, title=f"Lisä {i}", status="running", adopted_from=e1
        )
    with django_assert_num_queries(DASHBOARD_QUERIES):
        client.get(url)


# session, user, membership, path, workshop days, unit count, experiments (5),
# participation (2), topic counts (1)
DASHBOARD_QUERIES = 14


def test_dashboard_chart_csv_matches_table(client, world):
    client.force_login(world["users"]["facilitator"])
    mt = world["measure_types"][0]
    response = client.get(
        reverse("reports:chart_csv", args=["nuoret", world["path"].pk, f"measure-{mt.pk}-units"])
    )
    assert response.content.decode() == "\ufeffYksikkö,Uudet nuoret\r\nAlfa,11\r\nBeta,3\r\n"


def test_unknown_chart_csv_is_404(client, world):
    client.force_login(world["users"]["facilitator"])
    assert (
        client.get(
            reverse("reports:chart_csv", args=["nuoret", world["path"].pk, "nope"])
        ).status_code
        == 404
    )


# --- share links ---------------------------------------------------------------------------

LINK_RE = re.compile(r'(?:href|src|action)="([^"]+)"')


def _walk(client, html, scope):
    """Every link on a shared page: static files, the share page itself, the language switch,
    or something that answers 404 to an anonymous visitor."""
    seen = []
    for url in sorted(set(LINK_RE.findall(html))):
        parsed = urlparse(urljoin("http://testserver" + scope, url))
        assert parsed.netloc in ("", "testserver"), url
        target = parsed.path
        seen.append(target)
        if target.startswith("/static/") or target.startswith(scope):
            continue
        if target == reverse("set_language"):
            continue
        assert client.get(url).status_code == 404, url
    return seen


def test_share_link_shows_only_the_chosen_sections(client, world):
    link, token = services.share_link_create(
        path=world["path"], label="Hallitus", sections=["goal", "results"]
    )
    response = client.get(reverse("reports:shared", args=[token]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "300 uutta nuorta" in html  # goal
    assert "Uudet nuoret" in html  # results
    assert "Kaverit toivat kavereita." not in html  # stories were not shared
    assert "Tarinat" not in html
    assert "SALAINEN" not in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    seen = _walk(client, html, reverse("reports:shared", args=[token]))
    assert "/static/reports/reports.css" in seen
    assert not any(s.startswith("/o/") for s in seen)
    link.refresh_from_db()
    assert link.last_used_at is not None


def test_share_link_stories_only_shareable_checkins(client, world):
    _link, token = services.share_link_create(
        path=world["path"], label="Rahoittaja", sections=["stories"]
    )
    html = client.get(reverse("reports:shared", args=[token])).content.decode()
    assert "Kaverit toivat kavereita." in html
    assert "SALAINEN" not in html
    assert "300 uutta nuorta" not in html  # goal not shared


def test_revoked_and_expired_links_are_404(client, world):
    link, token = services.share_link_create(path=world["path"], label="A", sections=["goal"])
    services.share_link_revoke(link=link)
    assert client.get(reverse("reports:shared", args=[token])).status_code == 404
    with time_machine.travel(dt.datetime(2026, 3, 1, 10, tzinfo=dt.UTC)):
        _link2, token2 = services.share_link_create(
            path=world["path"], label="B", sections=["goal"], expires_on=dt.date(2026, 3, 2)
        )
        assert client.get(reverse("reports:shared", args=[token2])).status_code == 200
    with time_machine.travel(dt.datetime(2026, 3, 3, 10, tzinfo=dt.UTC)):
        assert client.get(reverse("reports:shared", args=[token2])).status_code == 404
    assert client.get(reverse("reports:shared", args=["not-a-token"])).status_code == 404


def test_share_link_create_and_revoke_in_the_ui(client, world):
    client.force_login(world["users"]["coordinator"])
    url = urls(world)["share_links"]
    response = client.post(
        url, {"label": "Hallitus", "sections": ["goal", "stories"], "expires_on": ""}
    )
    assert response.status_code == 200
    match = re.search(r'value="http://testserver(/share/[^"]+/)"', response.content.decode())
    assert match
    assert client.get(match.group(1)).status_code == 200
    link = ShareLink.objects.get()
    assert link.sections == ["goal", "stories"]
    client.post(url, {"action": "revoke", "link": link.pk})
    assert client.get(match.group(1)).status_code == 404


def test_share_link_form_errors_are_finnish(client, world):
    client.force_login(world["users"]["coordinator"])
    response = client.post(urls(world)["share_links"], {"label": "", "sections": []})
    assert response.status_code == 200
    assert "Tämä kenttä vaaditaan." in response.content.decode()
    assert ShareLink.objects.count() == 0


def test_share_link_of_another_path_cannot_be_revoked(client, world):
    other = build_world(org=OrganisationFactory(slug="toinen"))
    link, _token = services.share_link_create(path=other["path"], label="X", sections=["goal"])
    client.force_login(world["users"]["coordinator"])
    response = client.post(urls(world)["share_links"], {"action": "revoke", "link": link.pk})
    assert response.status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


# --- PDF jobs ------------------------------------------------------------------------------


def test_impact_pdf_job_runs_and_downloads(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["users"]["coordinator"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(urls(world)["impact"], {"language": "sv"})
    job = ReportJob.objects.exclude(pk=world["job"].pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:job", args=["nuoret", world["path"].pk, job.pk])
    assert (job.status, job.progress, job.language) == ("done", 100, "sv")
    assert job.page_count >= 3
    status = client.get(response["Location"], headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in status  # finished: polling stops
    pdf = client.get(reverse("reports:job_download", args=["nuoret", world["path"].pk, job.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    from io import BytesIO

    from pypdf import PdfReader

    reader = PdfReader(BytesIO(pdf.content))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root  # tagged PDF (PDF/UA-1)
    assert root["/Lang"] == "sv"
    assert reader.metadata["/Title"] == "Kevään polku – Effektrapport"
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Kevään polku" in text
    assert "Resultat" in text  # Swedish
    assert "Kaverit toivat kavereita." in text  # a shareable story
    assert "SALAINEN" not in text  # not shareable


def test_running_job_page_polls(client, world):
    job = ReportJob.objects.create(path=world["path"], status=ReportJob.Status.RUNNING, progress=40)
    client.force_login(world["users"]["coordinator"])
    html = client.get(
        reverse("reports:job", args=["nuoret", world["path"].pk, job.pk])
    ).content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'value="40"' in html


def test_job_of_another_path_is_404(client, world):
    other = build_world(org=OrganisationFactory(slug="toinen"))
    job = ReportJob.objects.create(path=other["path"], status=ReportJob.Status.DONE, pdf=b"%PDF")
    client.force_login(world["users"]["coordinator"])
    assert (
        client.get(
            reverse("reports:job_download", args=["nuoret", world["path"].pk, job.pk])
        ).status_code
        == 404
    )


# --- bad input -----------------------------------------------------------------------------


@pytest.mark.parametrize("link", ["abc", "", "-1", "99999999999999999999"])
def test_revoke_with_garbage_link_id_is_404_not_500(client, world, link):
    client.force_login(world["users"]["coordinator"])
    response = client.post(urls(world)["share_links"], {"action": "revoke", "link": link})
    assert response.status_code == 404


def test_share_link_with_impossible_date_shows_a_finnish_error(client, world):
    client.force_login(world["users"]["coordinator"])
    response = client.post(
        urls(world)["share_links"],
        {"label": "Hallitus", "sections": ["goal"], "expires_on": "2026-13-45"},
    )
    assert response.status_code == 200
    assert "Syötä oikea päivämäärä." in response.content.decode()
    assert ShareLink.objects.count() == 0


def test_share_link_in_the_past_is_refused(client, world):
    client.force_login(world["users"]["coordinator"])
    response = client.post(
        urls(world)["share_links"],
        {"label": "Hallitus", "sections": ["goal"], "expires_on": "2020-01-01"},
    )
    assert "Viimeinen voimassaolopäivä ei voi olla menneisyydessä." in response.content.decode()
    assert ShareLink.objects.count() == 0


def test_impact_form_rejects_unknown_language(client, world):
    client.force_login(world["users"]["coordinator"])
    response = client.post(urls(world)["impact"], {"language": "xx"})
    assert response.status_code == 200
    assert ReportJob.objects.count() == 1  # only the fixture's job


def test_failed_pdf_job_is_marked_failed(world, monkeypatch, django_capture_on_commit_callbacks):
    from polku.reports import pdf

    def broken(**kwargs):
        raise RuntimeError("font missing")

    monkeypatch.setattr(pdf, "render_impact_pdf", broken)
    with django_capture_on_commit_callbacks(execute=True):
        job = services.report_job_create(path=world["path"], language="fi")
    job.refresh_from_db()
    assert (job.status, job.error) == ("failed", "RuntimeError: font missing")


def test_pdf_renderer_fetches_nothing_but_inline_data(monkeypatch):
    from polku.reports.pdf import html_to_pdf

    calls = []
    import urllib.request

    monkeypatch.setattr(
        urllib.request.OpenerDirector, "open", lambda self, *a, **k: calls.append(a) or None
    )
    pdf, pages = html_to_pdf(
        '<html lang="fi"><title>t</title><body><img src="http://127.0.0.1:9/x.png" alt="x">'
        '<img src="file:///etc/passwd" alt="y"><p>Hei</p></body></html>'
    )
    assert pdf.startswith(b"%PDF-")
    assert pages == 1
    assert calls == []


def test_dashboard_and_pdf_say_not_available_yet_when_source_apps_are_missing(
    client, world, monkeypatch
):
    """Before the live room, activities and experiments had models, the pages said so honestly."""
    from polku.reports import datasets, participation, selectors, summary

    for module in (selectors, participation, datasets, summary):
        monkeypatch.setattr(module, "source_ready", lambda app, model: False)
    client.force_login(world["users"]["coordinator"])
    html = client.get(urls(world)["dashboard"]).content.decode()
    assert (
        "Osallistumisluvut (liittyneet, aktiiviset, palaavat, yksiköittäin) tulevat työpajan live-huoneesta"
        in html
    )
    assert "Kokeilut, mittarit ja kuulumiset eivät ole vielä käytettävissä." in html
    assert html.count("ei vielä saatavilla") == 6  # the funnel's six steps in its table
    exports = client.get(urls(world)["exports"]).content.decode()
    assert exports.count("ei vielä saatavilla") == 5  # all but workshop_days
    from polku.reports.pdf import render_impact_pdf

    pdf, _pages = render_impact_pdf(path=world["path"], language="fi")
    assert pdf.startswith(b"%PDF-")


def test_only_the_newest_ten_pdfs_are_kept(world):
    for _ in range(12):
        services.report_job_create(path=world["path"], language="fi")  # not run: no commit
    assert ReportJob.objects.filter(path=world["path"], kind="impact").count() == 10


def test_impact_pdf_cover_counts_days_as_the_dashboard_does(client, world):
    """'2 / 3 pidettyä työpajapäivää' on both, never '3 työpajapäivää' on the cover."""
    from django.template.loader import render_to_string
    from django.utils import translation

    from polku.reports.pdf import impact_context

    WorkshopDayFactory(path=world["path"], title="Jatkotyöpaja", status="closed")
    WorkshopDayFactory(path=world["path"], title="Päätöstyöpaja", status="planned")
    client.force_login(world["users"]["coordinator"])
    dashboard = client.get(urls(world)["dashboard"]).content.decode()
    kpi = (
        '<span class="kpi__value">2 / 3</span>'
        '<span class="kpi__label">pidettyä työpajapäivää</span>'
    )
    assert kpi in dashboard
    with translation.override("fi"):
        cover = render_to_string("reports/pdf/impact.html", impact_context(path=world["path"]))
    assert "<strong>2 / 3</strong>pidettyä työpajapäivää</div>" in cover
    assert ">työpajapäivää<" not in cover

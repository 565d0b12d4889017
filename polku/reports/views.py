from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from polku.core.tenancy import OrganisationRequest, organisation_view
from polku.organisations.rules import has_perm
from polku.paths.selectors import path_get, workshop_day_get
from polku.reports import datasets, selectors, services
from polku.reports.dashboard import dashboard_charts, lineage_graph
from polku.reports.exporting import Table, write_csv, write_xlsx
from polku.reports.forms import (
    OrganisationDeleteForm,
    ReportLanguageForm,
    ShareLinkForm,
    SummaryForm,
)
from polku.reports.models import ReportJob, ShareLink, WorkshopSummary
from polku.reports.report import path_report
from polku.reports.summary import summary_context
from polku.workshops.models import WorkshopDay


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


def _csv(table: Table, filename: str) -> HttpResponse:
    return _download(write_csv(table), filename, "text/csv; charset=utf-8")


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _path(request: OrganisationRequest, pk: int):
    return path_get(membership=request.membership, pk=pk)


# --- dashboard -----------------------------------------------------------------------------


@organisation_view("report.dashboard")
def dashboard(request: OrganisationRequest, pk: int) -> HttpResponse:
    path = _path(request, pk)
    report = path_report(path=path)
    groups: dict[str, list] = {}
    for chart in dashboard_charts(report):
        groups.setdefault(chart.group, []).append(chart)
    membership = request.membership
    return render(
        request,
        "reports/dashboard.html",
        {
            "path": path,
            "report": report,
            "groups": groups,
            "measure_sections": [
                (r, groups.get(f"measure-{r.measure_type.id}", [])) for r in report.rollups
            ],
            "lineage": lineage_graph(report.lineage),
            "can_share": has_perm(membership, "report.share"),
            "can_export": has_perm(membership, "report.export"),
        },
    )


@organisation_view("report.dashboard")
def dashboard_chart_csv(request: OrganisationRequest, pk: int, key: str) -> HttpResponse:
    path = _path(request, pk)
    chart = next((c for c in dashboard_charts(path_report(path=path)) if c.key == key), None)
    if chart is None:
        raise Http404
    return _csv(chart.table(), f"polku-{path.pk}-{key}.csv")


# --- tabular exports -----------------------------------------------------------------------


@organisation_view("report.export")
def exports(request: OrganisationRequest, pk: int) -> HttpResponse:
    path = _path(request, pk)
    tables = [
        {"name": name, "columns": spec.columns, "available": spec.fn(path) is not None}
        for name, spec in datasets.PATH_TABLES.items()
    ]
    return render(request, "reports/exports.html", {"path": path, "tables": tables})


@organisation_view("report.export")
def export_table(request: OrganisationRequest, pk: int, name: str, fmt: str) -> HttpResponse:
    path = _path(request, pk)
    if name == "all" and fmt == "xlsx":
        tables = [t for n in datasets.PATH_TABLES if (t := datasets.build_path_table(n, path))]
        return _download(write_xlsx(tables), f"polku-{path.pk}.xlsx", XLSX)
    if name not in datasets.PATH_TABLES:
        raise Http404
    table = datasets.build_path_table(name, path)
    if table is None:
        raise Http404
    if fmt == "xlsx":
        return _download(write_xlsx(table), f"polku-{path.pk}-{name}.xlsx", XLSX)
    return _csv(table, f"polku-{path.pk}-{name}.csv")


# --- organisation export and delete --------------------------------------------------------


@organisation_view("organisation.export")
def organisation_data(request: OrganisationRequest) -> HttpResponse:
    membership = request.membership
    form = OrganisationDeleteForm()
    return render(
        request,
        "reports/organisation_data.html",
        {
            "form": form,
            "can_delete": has_perm(membership, "organisation.delete"),
            "datasets": [d.name for d in datasets.available_org_datasets()],
        },
    )


@organisation_view("organisation.export")
def organisation_export(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    content = services.organisation_export_json(organisation=organisation)
    stamp = timezone.localdate().isoformat()
    return _download(content, f"polku-{organisation.slug}-{stamp}.json", "application/json")


@require_POST
@organisation_view("organisation.delete")
def organisation_delete(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = OrganisationDeleteForm(request.POST)
    if form.is_valid():
        try:
            services.organisation_delete(
                organisation=organisation, confirm_slug=form.cleaned_data["confirm_slug"].strip()
            )
        except ValidationError as exc:
            form.add_error("confirm_slug", exc)
        else:
            messages.success(request, _("The organisation and all its data were deleted."))
            return redirect("organisations:home")
    return render(
        request,
        "reports/organisation_data.html",
        {
            "form": form,
            "can_delete": True,
            "datasets": [d.name for d in datasets.available_org_datasets()],
        },
        status=400,
    )


# --- share links ---------------------------------------------------------------------------


@organisation_view("report.share")
def share_links(request: OrganisationRequest, pk: int) -> HttpResponse:
    path = _path(request, pk)
    form = ShareLinkForm(request.POST or None)
    new_url = None
    if request.method == "POST":
        if request.POST.get("action") == "revoke":
            link_pk = request.POST.get("link", "")
            link = (
                selectors.share_link_list(path=path).filter(pk=int(link_pk)).first()
                if link_pk.isdigit()
                else None
            )
            if link is None:
                raise Http404
            services.share_link_revoke(link=link)
            messages.success(request, _("The link was revoked; it no longer opens anything."))
            return redirect("reports:share_links", org_slug=path.organisation.slug, pk=path.pk)
        if form.is_valid():
            try:
                _link, token = services.share_link_create(
                    path=path,
                    label=form.cleaned_data["label"],
                    sections=form.cleaned_data["sections"],
                    expires_on=form.cleaned_data["expires_on"],
                    created_by=request.user,
                )
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                new_url = request.build_absolute_uri(reverse("reports:shared", args=[token]))
                form = ShareLinkForm()
    return render(
        request,
        "reports/share_links.html",
        {
            "path": path,
            "form": form,
            "links": selectors.share_link_list(path=path),
            "new_url": new_url,
        },
    )


def shared_report(request: HttpRequest, token: str) -> HttpResponse:
    """The public, read-only report page of a share link: only the chosen sections."""
    link = selectors.share_link_by_token(token=token)
    if link is None:
        raise Http404
    services.share_link_touch(link=link)
    path = link.path
    sections = set(link.sections)
    report = path_report(path=path, with_stories=ShareLink.Section.STORIES in sections)
    response = render(
        request,
        "reports/shared.html",
        {
            "link": link,
            "path": path,
            "report": report,
            "sections": sections,
            "public_organisation": path.organisation,
        },
    )
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    response["Cache-Control"] = "private, no-store"
    return response


# --- impact report PDF ---------------------------------------------------------------------


@organisation_view("report.dashboard")
def impact(request: OrganisationRequest, pk: int) -> HttpResponse:
    path = _path(request, pk)
    language = get_language() if get_language() in ("fi", "sv", "en") else "fi"
    form = ReportLanguageForm(request.POST or None, initial={"language": language})
    if request.method == "POST" and form.is_valid():
        job = services.report_job_create(
            path=path,
            language=form.cleaned_data["language"],
            requested_by=request.user,
        )
        return redirect("reports:job", org_slug=path.organisation.slug, pk=path.pk, job_pk=job.pk)
    return render(
        request,
        "reports/impact.html",
        {"path": path, "form": form, "jobs": selectors.report_job_recent(path=path)},
    )


@organisation_view("report.dashboard")
def job(request: OrganisationRequest, pk: int, job_pk: int) -> HttpResponse:
    path = _path(request, pk)
    report_job = selectors.report_job_get(path=path, pk=job_pk)
    template = (
        "reports/_job_status.html" if request.headers.get("HX-Request") else "reports/job.html"
    )
    return render(request, template, {"path": path, "job": report_job})


@organisation_view("report.dashboard")
def job_download(request: OrganisationRequest, pk: int, job_pk: int) -> HttpResponse:
    path = _path(request, pk)
    report_job = selectors.report_job_pdf(path=path, pk=job_pk)
    stem = (
        "vaikuttavuusraportti"
        if report_job.kind == ReportJob.Kind.IMPACT
        else "tyopajan-yhteenveto"
    )
    return _download(
        bytes(report_job.pdf), f"{stem}-{path.pk}-{report_job.language}.pdf", "application/pdf"
    )


# --- workshop summary ----------------------------------------------------------------------


@organisation_view("report.summary")
def summary(request: OrganisationRequest, pk: int, day_pk: int) -> HttpResponse:
    membership = request.membership
    path = _path(request, pk)
    day = workshop_day_get(membership=membership, path=path, pk=day_pk)
    if day.status != WorkshopDay.Status.CLOSED:
        return render(request, "reports/summary_not_closed.html", {"path": path, "day": day})
    existing = WorkshopSummary.objects.filter(workshop_day=day).first()
    summary_obj = existing or services.workshop_summary_generate(workshop_day=day)
    form = SummaryForm(
        request.POST or None,
        initial={
            "intro": summary_obj.intro,
            "next_steps": summary_obj.next_steps,
            "hidden_sections": summary_obj.hidden_sections,
        },
    )
    new_url = ""
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action == "link" and summary_obj.status == WorkshopSummary.Status.SENT:
            days = {"7": 7, "30": 30, "90": 90}.get(request.POST.get("valid_days", ""))
            expires = timezone.now() + timedelta(days=days) if days else None
            token = services.workshop_summary_link_mint(summary=summary_obj, expires_at=expires)
            new_url = request.build_absolute_uri(reverse("reports:summary_public", args=[token]))
            messages.success(request, _("A new link was made. The previous link no longer works."))
        elif action == "revoke_link":
            services.workshop_summary_link_revoke(summary=summary_obj)
            messages.success(request, _("The link for participants no longer works."))
            return redirect(
                "reports:summary", org_slug=path.organisation.slug, pk=path.pk, day_pk=day.pk
            )
        elif action == "regenerate":
            services.workshop_summary_generate(workshop_day=day)
            messages.success(request, _("The summary was updated from the workshop's latest data."))
            return redirect(
                "reports:summary", org_slug=path.organisation.slug, pk=path.pk, day_pk=day.pk
            )
        if action == "pdf":
            language = request.POST.get("language", "fi")
            try:
                report_job = services.report_job_create(
                    path=path,
                    kind=ReportJob.Kind.SUMMARY,
                    workshop_day=day,
                    language=language,
                    requested_by=request.user,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                return redirect(
                    "reports:job", org_slug=path.organisation.slug, pk=path.pk, job_pk=report_job.pk
                )
        elif action in ("save", "send") and form.is_valid():
            services.workshop_summary_update(summary=summary_obj, **form.cleaned_data)
            if action == "send":
                count = services.workshop_summary_send(
                    summary=summary_obj, language=get_language() or "fi"
                )
                messages.success(
                    request,
                    ngettext(
                        "The summary was sent to %(n)s recipient.",
                        "The summary was sent to %(n)s recipients.",
                        count,
                    )
                    % {"n": count},
                )
            else:
                messages.success(request, _("Summary saved."))
            return redirect(
                "reports:summary", org_slug=path.organisation.slug, pk=path.pk, day_pk=day.pk
            )
    context = summary_context(summary=summary_obj)
    context.update(
        {
            "form": form,
            "new_url": new_url,
        }
    )
    return render(request, "reports/summary.html", context)


def summary_public(request: HttpRequest, token: str) -> HttpResponse:
    summary_obj = selectors.workshop_summary_by_token(token=token)
    if summary_obj is None:
        raise Http404
    context = summary_context(summary=summary_obj)
    context["public_organisation"] = context.pop("organisation")
    response = render(request, "reports/summary_public.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response

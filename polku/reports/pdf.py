"""PDFs from HTML templates with WeasyPrint: the impact report and the workshop summary.

Tagged PDF (PDF/UA-1) for screen readers; page numbers come from CSS @page rules in
`reports/static/reports/print.css`.
"""

from collections.abc import Callable
from pathlib import Path as FsPath

from django.template.loader import render_to_string
from django.utils import timezone, translation

from polku.paths.models import Path
from polku.reports import charts
from polku.reports.report import path_report

PRINT_CSS = FsPath(__file__).parent / "static" / "reports" / "print.css"

Progress = Callable[[int, str], None]


def _noop(_progress: int, _step: str) -> None:
    return None


def html_to_pdf(html: str) -> tuple[bytes, int]:
    from weasyprint import CSS, HTML
    from weasyprint.urls import URLFetcher

    # Only inline data: URLs (our charts): no text typed by a user can make the renderer
    # reach the network or the disk.
    offline = URLFetcher(allowed_protocols={"data"}, allow_redirects=False)
    document = HTML(string=html, url_fetcher=offline).render(
        stylesheets=[CSS(filename=str(PRINT_CSS))], pdf_variant="pdf/ua-1"
    )
    return document.write_pdf(pdf_variant="pdf/ua-1"), len(document.pages)


def impact_context(*, path: Path, progress: Progress = _noop) -> dict:
    progress(10, "data")
    report = path_report(path=path, with_stories=True)
    progress(35, "charts")
    funnel_chart = None
    known = [(label, count) for _key, label, count in report.funnel_rows() if count is not None]
    if known:
        funnel_chart = charts.hbar(
            [label for label, _c in known], [c for _l, c in known], width=5.0
        )
    rollup_charts = []
    for rollup in report.rollups:
        line = None
        if len(rollup.over_time) >= 2:
            line = charts.progress_line(
                [m for m, _v in rollup.over_time],
                [float(v) for _m, v in rollup.over_time],
                target=float(rollup.target) if rollup.summed and rollup.target else None,
                width=3.4,
            )
        units = None
        if len(rollup.by_unit) >= 2:
            top = rollup.by_unit[:10]
            units = charts.hbar(
                [u or "–" for u, _v in top],
                [float(v) for _u, v in top],
                color=charts.ACCENT,
                width=3.4,
            )
        rollup_charts.append(
            {
                "rollup": rollup,
                "line": line,
                "units": units,
                "units_text": "; ".join(f"{u or '–'}: {v}" for u, v in rollup.by_unit),
                "time_text": "; ".join(f"{m}: {v}" for m, v in rollup.over_time),
            }
        )
    status_chart = None
    if report.statuses and report.experiment_count:
        status_chart = charts.hbar(
            [label for _k, label, _n in report.statuses], [n for _k, _l, n in report.statuses]
        )
    progress(60, "layout")
    return {
        "path": path,
        "organisation": path.organisation,
        "report": report,
        "funnel_chart": funnel_chart,
        "rollup_charts": rollup_charts,
        "status_chart": status_chart,
        "generated_at": timezone.now(),
    }


def render_impact_pdf(
    *, path: Path, language: str, progress: Progress = _noop
) -> tuple[bytes, int]:
    with translation.override(language):
        context = impact_context(path=path, progress=progress)
        html = render_to_string("reports/pdf/impact.html", context)
        progress(75, "pdf")
        return html_to_pdf(html)


def render_summary_pdf(*, summary, language: str, progress: Progress = _noop) -> tuple[bytes, int]:
    from polku.reports.summary import summary_context

    with translation.override(language):
        progress(30, "data")
        context = summary_context(summary=summary)
        html = render_to_string("reports/pdf/summary.html", context)
        progress(70, "pdf")
        return html_to_pdf(html)

"""Writes for organisation juries. Every step that matters goes into the hash-chained audit log."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import secrets
import zipfile
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from polku.accounts.models import User
from polku.core.email import email_enqueue_on_commit
from polku.core.tokens import new_link_id
from polku.experiments.services import experiment_create
from polku.juries import lottery_adapter as lottery
from polku.juries.explain import attribute_text, feasibility_texts
from polku.juries.lottery.instance import proportional_quotas
from polku.juries.models import (
    AuditEntry,
    Draw,
    FollowUpAction,
    Jury,
    JuryMember,
    LotteryRun,
    PoolMember,
    Quota,
    Recommendation,
    Response,
    Vote,
)
from polku.organisations.models import Unit
from polku.paths.models import Path
from polku.workshops.models import WorkshopDay

MAX_IMPORT_BYTES = 2 * 1024 * 1024
MAX_IMPORT_ROWS = 5000
MAX_CELL = 1000  # characters in one cell of a pool file
MAX_XLSX_EXPANDED = 50 * 1024 * 1024  # an .xlsx (a zip) unpacked
MAX_ROW_ERRORS = 50
INVITATION_VALID_DAYS = 14
REDRAW_REASON_MIN_LENGTH = 10
GENESIS_HASH = "0" * 64

COLUMN_ALIASES = {
    "id": "id",
    "tunnus": "id",
    "henkilönumero": "id",
    "name": "name",
    "nimi": "name",
    "email": "email",
    "sähköposti": "email",
    "sahkoposti": "email",
    "e-mail": "email",
    "team": "team",
    "tiimi": "team",
    "unit": "unit",
    "yksikkö": "unit",
    "yksikko": "unit",
    "namn": "name",
    "e-post": "email",
    "epost": "email",
    "enhet": "unit",
}
RESERVED_COLUMNS = {"id", "name", "email", "team"}
#: The column names a missing column is called by, in the language the file's header uses.
COLUMN_NAMES = {
    "fi": {"id": "tunnus", "email": "sähköposti"},
    "sv": {"id": "id", "email": "e-post"},
    "en": {"id": "id", "email": "email"},
}
HEADER_LANGUAGE = {
    "tunnus": "fi",
    "henkilönumero": "fi",
    "nimi": "fi",
    "sähköposti": "fi",
    "sahkoposti": "fi",
    "tiimi": "fi",
    "yksikkö": "fi",
    "yksikko": "fi",
    "namn": "sv",
    "e-post": "sv",
    "epost": "sv",
    "enhet": "sv",
    "name": "en",
    "email": "en",
    "e-mail": "en",
    "team": "en",
    "unit": "en",
}


def _header_language(cells: Iterable[str]) -> str:
    """The language of the known column names in a header (Finnish wins a tie)."""
    votes = [
        HEADER_LANGUAGE[c.strip().casefold()]
        for c in cells
        if c.strip().casefold() in HEADER_LANGUAGE
    ]
    if not votes:
        return "fi"
    return max(("fi", "sv", "en"), key=votes.count)


class PoolImportError(ValidationError):
    """A pool file was rejected; `.messages` lists every problem found (row-level)."""


class QuotasInfeasible(ValidationError):
    """The quotas cannot all hold; nothing was saved. ``.report`` is the plain-language
    explanation (problems and the smallest change that would make them possible)."""

    def __init__(self, report: dict[str, Any]) -> None:
        super().__init__(report["problems"] + report["relaxations"])
        self.report = report


class VersionConflict(ValidationError):
    """Someone saved the recommendation after you opened it."""

    def __init__(self, current: Recommendation) -> None:
        super().__init__(
            _(
                "Someone else saved this recommendation while you were editing it. "
                "Their version is shown below; copy your changes into it and save again."
            )
        )
        self.current = current


def _actor(user: User | None) -> str:
    if user is None:
        return ""
    return user.name or user.email


# -- audit log ----------------------------------------------------------------------------
def audit_entry_hash(
    *,
    jury_id: int,
    seq: int,
    action: str,
    actor: str,
    payload: Any,
    created_at: str,
    prev_hash: str,
) -> str:
    body = {
        "jury": jury_id,
        "seq": seq,
        "action": action,
        "actor": actor,
        "payload": payload,
        "created_at": created_at,
        "prev": prev_hash,
    }
    return hashlib.sha256(lottery.canonical_json(body)).hexdigest()


def audit_append(
    *, jury: Jury, action: str, actor: str = "", payload: Mapping[str, Any] | None = None
) -> AuditEntry:
    """Append an entry; the jury row is locked so that two writers cannot fork the chain."""
    with transaction.atomic():
        Jury.objects.select_for_update().filter(pk=jury.pk).first()
        last = AuditEntry.objects.filter(jury=jury).order_by("-seq").first()
        seq = last.seq + 1 if last else 1
        prev = last.entry_hash if last else GENESIS_HASH
        created_at = timezone.now().replace(microsecond=0)
        data = dict(payload or {})
        entry_hash = audit_entry_hash(
            jury_id=jury.pk,
            seq=seq,
            action=action,
            actor=actor,
            payload=data,
            created_at=created_at.isoformat(),
            prev_hash=prev,
        )
        return AuditEntry.objects.create(
            jury=jury,
            seq=seq,
            action=action,
            actor=actor,
            payload=data,
            created_at=created_at,
            prev_hash=prev,
            entry_hash=entry_hash,
        )


def audit_verify(*, jury: Jury) -> tuple[bool, int | None]:
    """Recompute the chain. Returns (ok, seq of the first entry that does not check out)."""
    prev = GENESIS_HASH
    expected_seq = 1
    for entry in AuditEntry.objects.filter(jury=jury).order_by("seq"):
        recomputed = audit_entry_hash(
            jury_id=jury.pk,
            seq=entry.seq,
            action=entry.action,
            actor=entry.actor,
            payload=entry.payload,
            created_at=entry.created_at.isoformat(),
            prev_hash=entry.prev_hash,
        )
        if entry.seq != expected_seq or entry.prev_hash != prev or recomputed != entry.entry_hash:
            return False, entry.seq
        prev = entry.entry_hash
        expected_seq += 1
    return True, None


# -- frame --------------------------------------------------------------------------------
def _check_sessions(path: Path, sessions: Iterable[WorkshopDay]) -> list[WorkshopDay]:
    sessions = list(sessions)
    if any(day.path_id != path.pk for day in sessions):
        raise ValidationError(_("Sessions must be workshop days of the same path."))
    return sessions


def _check_tally_visibility(value: str) -> None:
    if value not in Jury.TallyVisibility.values:
        raise ValidationError(_("Choose when the jurors see the vote tally."))


def jury_create(
    *,
    path: Path,
    question: str,
    commissioner: str,
    commitment: str,
    panel_size: int,
    steering_group: str = "",
    response_days: int = 28,
    max_per_team: int | None = None,
    sessions: Iterable[WorkshopDay] = (),
    tally_visibility: str = Jury.TallyVisibility.AFTER_VOTE,
    created_by: User | None = None,
) -> Jury:
    if not question.strip():
        raise ValidationError(_("Write the question the jury answers."))
    if panel_size < 2:
        raise ValidationError(_("A panel needs at least 2 members."))
    _check_tally_visibility(tally_visibility)
    days = _check_sessions(path, sessions)
    with transaction.atomic():
        jury = Jury.objects.create(
            organisation_id=path.organisation_id,
            path=path,
            question=question.strip(),
            commissioner=commissioner.strip(),
            commitment=commitment.strip(),
            panel_size=panel_size,
            steering_group=steering_group.strip(),
            response_days=response_days,
            max_per_team=max_per_team,
            tally_visibility=tally_visibility,
            created_by=created_by,
        )
        jury.sessions.set(days)
        audit_append(
            jury=jury,
            action="jury_created",
            actor=_actor(created_by),
            payload={
                "question": jury.question,
                "commissioner": jury.commissioner,
                "commitment": jury.commitment,
                "panel_size": panel_size,
                "max_per_team": max_per_team,
                "sessions": [{"id": d.pk, "title": d.title} for d in days],
            },
        )
    return jury


def jury_update(*, jury: Jury, actor: User | None, **fields: Any) -> Jury:
    """Change the frame; every changed field (sessions included) goes into the audit log."""
    sessions = fields.pop("sessions", None)
    locked = {"panel_size", "max_per_team"}
    if draw_active(jury=jury) is not None:
        for name in locked:
            if name in fields and fields[name] != getattr(jury, name):
                raise ValidationError(
                    _(
                        "The panel size and the team limit cannot change after the lottery is committed."
                    )
                )
    if "panel_size" in fields and fields["panel_size"] < 2:
        raise ValidationError(_("A panel needs at least 2 members."))
    if "tally_visibility" in fields:
        _check_tally_visibility(fields["tally_visibility"])
    changed: dict[str, Any] = {}
    with transaction.atomic():
        for name, value in fields.items():
            if getattr(jury, name) != value:
                changed[name] = value
                setattr(jury, name, value)
        jury.save()
        if sessions is not None:
            days = _check_sessions(jury.path, sessions)
            before = set(jury.sessions.values_list("pk", flat=True))
            if before != {d.pk for d in days}:
                jury.sessions.set(days)
                changed["sessions"] = [
                    {"id": d.pk, "title": d.title}
                    for d in sorted(days, key=lambda d: (d.starts_at, d.pk))
                ]
        if changed:
            audit_append(jury=jury, action="jury_updated", actor=_actor(actor), payload=changed)
    return jury


# -- pool -----------------------------------------------------------------------------------
def _read_rows(*, filename: str, content: bytes) -> list[list[str]]:
    """The rows of a pool file. Bounded while reading: at most MAX_IMPORT_ROWS rows (an .xlsx
    that expands to 400,000 rows stops at the limit instead of being read whole), cells of at
    most MAX_CELL characters, an .xlsx of at most MAX_XLSX_EXPANDED bytes unpacked."""
    if len(content) > MAX_IMPORT_BYTES:
        raise PoolImportError(_("The file is too large (at most 2 MB)."))
    too_many = PoolImportError(
        _("The file has too many rows (at most %(n)d).") % {"n": MAX_IMPORT_ROWS}
    )
    if filename.lower().endswith(".xlsx"):
        from openpyxl import load_workbook

        unreadable = PoolImportError(_("The file could not be read as an Excel workbook (.xlsx)."))
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                expanded = sum(info.file_size for info in archive.infolist())
        except (zipfile.BadZipFile, ValueError):
            raise unreadable from None
        if expanded > MAX_XLSX_EXPANDED:
            raise too_many
        try:
            workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
            sheet = workbook.worksheets[0]
            source = (
                ["" if cell is None else str(cell).strip() for cell in row]
                for row in sheet.iter_rows(values_only=True)
            )
            rows = _bounded(source, too_many)
        except PoolImportError:
            raise
        except Exception:  # openpyxl raises many kinds of errors for broken files
            raise unreadable from None
    else:
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")
        sample = text[:4096]
        delimiter = max(",;\t", key=sample.count) if sample else ","
        reader = csv.reader(io.StringIO(text), delimiter=delimiter)
        try:
            rows = _bounded(([cell.strip() for cell in row] for row in reader), too_many)
        except csv.Error:  # e.g. a cell longer than the csv module's field limit
            raise PoolImportError(
                _("The file could not be read as CSV: a cell is longer than %(n)d characters.")
                % {"n": MAX_CELL}
            ) from None
    return rows


def _bounded(rows: Iterable[list[str]], too_many: PoolImportError) -> list[list[str]]:
    kept: list[list[str]] = []
    for row in rows:
        if not any(cell for cell in row):
            continue
        if len(kept) > MAX_IMPORT_ROWS:  # the header + MAX_IMPORT_ROWS people
            raise too_many
        if any(len(cell) > MAX_CELL for cell in row):
            raise PoolImportError(
                _("Row %(row)d has a cell longer than %(n)d characters.")
                % {"row": len(kept) + 1, "n": MAX_CELL}
            )
        kept.append(row)
    return kept


def _unit_lookup(jury: Jury) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for unit in jury.organisation.units.all():
        lookup[unit.code.casefold()] = unit.name
        lookup[unit.name.casefold()] = unit.name
    return lookup


def pool_parse(*, jury: Jury, filename: str, content: bytes) -> list[dict[str, Any]]:
    """Validate a pool file completely; return the rows or raise PoolImportError with every
    problem (row numbers as in a spreadsheet: the header is row 1)."""
    rows = _read_rows(filename=filename, content=content)
    if not rows:
        raise PoolImportError(_("The file is empty."))
    header_raw = rows[0]
    header: list[str] = []
    errors: list[str] = []
    for cell in header_raw:
        key = cell.strip().casefold()
        key = COLUMN_ALIASES.get(key, key)
        if not key:
            errors.append(_("The header row has an empty column name."))
        elif key in header:
            errors.append(_("The column %(column)s appears twice.") % {"column": cell})
        header.append(key)
    language = _header_language(header_raw)
    for required in ("id", "email"):
        if required not in header:
            name = COLUMN_NAMES[language][required]
            others = sorted(
                {alias for alias, key in COLUMN_ALIASES.items() if key == required} - {name},
                key=lambda a: (a != COLUMN_NAMES["en"][required], a),
            )
            errors.append(
                _("The file has no column %(column)s (also accepted: %(others)s).")
                % {"column": name, "others": ", ".join(others)}
            )
    attributes = [h for h in header if h and h not in RESERVED_COLUMNS]
    if not attributes:
        errors.append(_("The file has no attribute columns (for example unit, role, shift)."))
    if errors:
        raise PoolImportError(errors)
    body = rows[1:]
    if not body:
        raise PoolImportError(_("The pool is empty: the file has no people."))
    if len(body) > MAX_IMPORT_ROWS:
        raise PoolImportError(
            _("The file has too many rows (at most %(n)d).") % {"n": MAX_IMPORT_ROWS}
        )
    allowed = {
        a.casefold(): [str(v) for v in vals] for a, vals in (jury.attribute_values or {}).items()
    }
    units = _unit_lookup(jury)
    seen: dict[str, int] = {}
    people: list[dict[str, Any]] = []
    for number, row in enumerate(body, start=2):
        row = row + [""] * (len(header) - len(row))
        if len(row) > len(header) and any(row[len(header) :]):
            errors.append(_("Row %(row)d has more cells than the header.") % {"row": number})
        values = dict(zip(header, row, strict=False))
        person_id = values.get("id", "")
        if not person_id:
            errors.append(_("Row %(row)d: the id is missing.") % {"row": number})
        elif person_id in seen:
            errors.append(
                _("Row %(row)d: the id %(id)s is already on row %(first)d.")
                % {"row": number, "id": person_id, "first": seen[person_id]}
            )
        else:
            seen[person_id] = number
        email = values.get("email", "")
        try:
            validate_email(email)
        except ValidationError:
            errors.append(
                _("Row %(row)d: the email address %(email)s is not valid.")
                % {"row": number, "email": email or "–"}
            )
        features: dict[str, str] = {}
        for attribute in attributes:
            value = values.get(attribute, "")
            if not value:
                errors.append(
                    _("Row %(row)d: %(attribute)s is empty.")
                    % {"row": number, "attribute": attribute}
                )
                continue
            if attribute == "unit" and units:
                if value.casefold() not in units:
                    errors.append(
                        _("Row %(row)d: unknown unit %(value)s (not a unit of the organisation).")
                        % {"row": number, "value": value}
                    )
                    continue
                value = units[value.casefold()]
            elif allowed.get(attribute):
                match = next(
                    (v for v in allowed[attribute] if v.casefold() == value.casefold()), None
                )
                if match is None:
                    errors.append(
                        _(
                            "Row %(row)d: unknown value %(value)s for %(attribute)s (allowed: %(allowed)s)."
                        )
                        % {
                            "row": number,
                            "value": value,
                            "attribute": attribute,
                            "allowed": ", ".join(allowed[attribute]),
                        }
                    )
                    continue
                value = match
            features[attribute] = value
        people.append(
            {
                "external_id": person_id,
                "name": values.get("name", "")[:200],
                "email": email,
                "team": values.get("team", "")[:120],
                "features": features,
            }
        )
        if len(errors) >= MAX_ROW_ERRORS:
            errors.append(_("Stopped after %(n)d problems.") % {"n": MAX_ROW_ERRORS})
            break
    if not errors and len(people) < jury.panel_size:
        errors.append(
            ngettext(
                "The pool has %(n)d person but the panel needs %(k)d.",
                "The pool has %(n)d people but the panel needs %(k)d.",
                len(people),
            )
            % {"n": len(people), "k": jury.panel_size}
        )
    if errors:
        raise PoolImportError(errors)
    return people


def _file_value_order(people: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Columns in file order, each with its values in the order they first appear."""
    order: dict[str, list[str]] = {}
    for person in people:
        for attribute, value in person["features"].items():
            values = order.setdefault(attribute, [])
            if value not in values:
                values.append(value)
    return [{"attribute": a, "values": v} for a, v in order.items()]


def _new_pseudonym(taken: set[str]) -> str:
    while True:
        candidate = "R-" + secrets.token_hex(3).upper()
        if candidate not in taken:
            taken.add(candidate)
            return candidate


def pool_import(*, jury: Jury, filename: str, content: bytes, actor: User | None) -> int:
    """Replace the jury's pool with the file's people. All or nothing."""
    if draw_active(jury=jury) is not None:
        raise PoolImportError(_("The pool cannot change after the lottery is committed."))
    people = pool_parse(jury=jury, filename=filename, content=content)
    taken: set[str] = set()
    with transaction.atomic():
        jury.pool.all().delete()
        PoolMember.objects.bulk_create(
            [
                PoolMember(
                    jury=jury,
                    external_id=p["external_id"],
                    pseudonym=_new_pseudonym(taken),
                    name=p["name"],
                    email=p["email"],
                    team=p["team"],
                    attributes=p["features"],
                )
                for p in people
            ]
        )
        attributes = sorted({a for p in people for a in p["features"]})
        jury.value_order = _file_value_order(people)
        jury.save(update_fields=["value_order", "updated_at"])
        audit_append(
            jury=jury,
            action="pool_imported",
            actor=_actor(actor),
            payload={
                "people": len(people),
                "attributes": attributes,
                "file_sha256": hashlib.sha256(content).hexdigest(),
            },
        )
    return len(people)


def signup_open(*, jury: Jury, actor: User | None) -> Jury:
    """Open a volunteer sign-up form (an unguessable link to share with the staff)."""
    if draw_active(jury=jury) is not None:
        raise ValidationError(_("The pool cannot change after the lottery is committed."))
    with transaction.atomic():
        jury.signup_link_id = new_link_id()
        jury.value_order = [
            {"attribute": a, "values": v} for a, v in signup_attributes(jury=jury).items()
        ]
        jury.save(update_fields=["signup_link_id", "value_order", "updated_at"])
        audit_append(jury=jury, action="signup_opened", actor=_actor(actor))
    return jury


def signup_close(*, jury: Jury, actor: User | None) -> Jury:
    with transaction.atomic():
        jury.signup_link_id = None
        jury.save(update_fields=["signup_link_id", "updated_at"])
        audit_append(jury=jury, action="signup_closed", actor=_actor(actor))
    return jury


def signup_attributes(*, jury: Jury) -> dict[str, list[str]]:
    """What the sign-up form asks: the organisation's units and the declared attribute values."""
    out: dict[str, list[str]] = {}
    units = list(jury.organisation.units.order_by("name").values_list("name", flat=True))
    if units:
        out["unit"] = units
    for attribute, values in (jury.attribute_values or {}).items():
        if attribute != "unit" and values:
            out[attribute] = list(values)
    return out


def pool_volunteer_add(
    *, jury: Jury, name: str, email: str, features: Mapping[str, str], team: str = ""
) -> PoolMember:
    """A staff member volunteers through the sign-up form. The email is their id in the pool."""
    if jury.signup_link_id is None or draw_active(jury=jury) is not None:
        raise ValidationError(_("Sign-up for this jury has closed."))
    email = email.strip().lower()
    validate_email(email)
    allowed = signup_attributes(jury=jury)
    clean: dict[str, str] = {}
    for attribute, values in allowed.items():
        value = features.get(attribute, "")
        if value not in values:
            raise ValidationError(_("Choose a value for every question."))
        clean[attribute] = value
    if jury.pool.filter(external_id=email).exists():
        raise ValidationError(_("This email address has already volunteered. Thank you!"))
    taken = set(jury.pool.values_list("pseudonym", flat=True))
    with transaction.atomic():
        member = PoolMember.objects.create(
            jury=jury,
            external_id=email,
            pseudonym=_new_pseudonym(taken),
            name=name.strip()[:200],
            email=email,
            team=team.strip()[:120],
            attributes=clean,
        )
        audit_append(jury=jury, action="volunteer_joined", payload={"pseudonym": member.pseudonym})
    return member


def pool_member_exclude(
    *, member: PoolMember, excluded: bool, reason: str, actor: User | None
) -> PoolMember:
    if draw_active(jury=member.jury) is not None:
        raise ValidationError(_("Exclusions cannot change after the lottery is committed."))
    if excluded and not reason.strip():
        raise ValidationError(_("Write why the person is excluded (e.g. commissioner)."))
    with transaction.atomic():
        member.excluded = excluded
        member.exclusion_reason = reason.strip() if excluded else ""
        member.save(update_fields=["excluded", "exclusion_reason", "updated_at"])
        audit_append(
            jury=member.jury,
            action="pool_excluded" if excluded else "pool_included",
            actor=_actor(actor),
            payload={"pseudonym": member.pseudonym, "reason": member.exclusion_reason},
        )
    return member


def pool_contacts_erase(*, jury: Jury, actor: User | None) -> int:
    """After the draw, erase the names and emails of pool members who hold no seat: they are
    no longer needed for anything. Pseudonyms and attributes stay (the lottery file needs them).
    Replacements are drawn among the whole pool, so an alternate drawn later without contact
    data is logged and has to be reached another way."""
    draw = draw_active(jury=jury)
    if draw is None or draw.panel_index is None:
        raise ValidationError(_("Draw the panel first."))
    with transaction.atomic():
        count = (
            jury.pool.exclude(seats__draw=draw)
            .exclude(name="", email="")
            .update(name="", email="", updated_at=timezone.now())
        )
        audit_append(
            jury=jury, action="contacts_erased", actor=_actor(actor), payload={"people": count}
        )
    return count


def jury_attribute_values_set(*, jury: Jury, text: str, actor: User | None) -> Jury:
    """Allowed values per attribute from lines like ``shift: aamu, ilta, yö``."""
    values: dict[str, list[str]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if ":" not in line:
            raise ValidationError(
                _("Line %(n)d: write the attribute, a colon and the values separated by commas.")
                % {"n": number}
            )
        attribute, rest = line.split(":", 1)
        key = COLUMN_ALIASES.get(attribute.strip().casefold(), attribute.strip().casefold())
        items = [v.strip() for v in rest.split(",") if v.strip()]
        if not key or not items:
            raise ValidationError(
                _("Line %(n)d: write the attribute, a colon and the values separated by commas.")
                % {"n": number}
            )
        values[key] = items
    with transaction.atomic():
        jury.attribute_values = values
        jury.save(update_fields=["attribute_values", "updated_at"])
        audit_append(jury=jury, action="attribute_values_set", actor=_actor(actor), payload=values)
    return jury


# -- quotas -----------------------------------------------------------------------------------
def quotas_set(
    *, jury: Jury, quotas: list[dict[str, Any]], reason: str, actor: User | None
) -> list[Quota]:
    """Replace all quotas. Each item: attribute, value, min, max (, share). Who and why logged."""
    if draw_active(jury=jury) is not None:
        raise ValidationError(_("Quotas cannot change after the lottery is committed."))
    if not reason.strip():
        raise ValidationError(
            _("Write why the quotas are set or changed; it goes into the audit log.")
        )
    errors = []
    for q in quotas:
        label = f"{attribute_text(q['attribute'])} = {q['value']}"
        if q["min"] < 0 or q["max"] < 0:
            errors.append(_("%(label)s: seats cannot be negative.") % {"label": label})
        elif q["min"] > q["max"]:
            errors.append(
                _("%(label)s: the minimum is larger than the maximum.") % {"label": label}
            )
        elif q["min"] > jury.panel_size:
            errors.append(
                _("%(label)s: the minimum is larger than the panel size %(k)d.")
                % {"label": label, "k": jury.panel_size}
            )
    if errors:
        raise ValidationError(errors)
    clipped = [{**q, "max": min(q["max"], jury.panel_size)} for q in quotas]
    if jury.pool.exists():
        check = feasibility_texts(
            lottery.feasibility_check(
                lottery.instance_from_dict(jury_instance_data(jury=jury, quotas=clipped))
            )
        )
        if not check["feasible"]:
            raise QuotasInfeasible(check)
    with transaction.atomic():
        jury.quotas.all().delete()
        created = Quota.objects.bulk_create(
            [
                Quota(
                    jury=jury,
                    attribute=q["attribute"],
                    value=q["value"],
                    min_seats=q["min"],
                    max_seats=min(q["max"], jury.panel_size),
                    population_share=q.get("share"),
                    position=position,
                )
                for position, q in enumerate(quotas)
            ]
        )
        audit_append(
            jury=jury,
            action="quotas_set",
            actor=_actor(actor),
            payload={
                "reason": reason.strip(),
                "quotas": [
                    {
                        "attribute": q.attribute,
                        "value": q.value,
                        "min": q.min_seats,
                        "max": q.max_seats,
                    }
                    for q in created
                ],
            },
        )
    return created


def quotas_from_shares(
    *, k: int, attribute: str, shares: Mapping[str, float]
) -> dict[str, tuple[int, int]]:
    """Proportional seats (floor/ceil of share × k) from population shares in percent."""
    total = sum(shares.values())
    if total <= 0:
        raise ValidationError(_("Give the shares of the whole staff in percent."))
    normalised = {attribute: {v: s / total for v, s in shares.items()}}
    return {q.value: (q.min, q.max) for q in proportional_quotas(normalised, k)}


# -- lottery --------------------------------------------------------------------------------
def jury_instance_data(*, jury: Jury, quotas: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The pseudonymised instance (no names, no emails), in canonical order; with ``quotas``
    ({attribute, value, min, max}) instead of the saved ones, to check them before saving."""
    pool = [
        {"id": m.pseudonym, "features": m.attributes, "team": m.team, "excluded": m.excluded}
        for m in jury.pool.all().order_by("pseudonym")
    ]
    if quotas is None:
        quotas = [
            {"attribute": q.attribute, "value": q.value, "min": q.min_seats, "max": q.max_seats}
            for q in jury.quotas.all()
        ]
    instance = lottery.build_instance(
        pool=pool, k=jury.panel_size, quotas=quotas, max_per_team=jury.max_per_team
    )
    return lottery.instance_to_dict(instance)


def instance_hash(data: Mapping[str, Any]) -> str:
    return hashlib.sha256(lottery.canonical_json(data)).hexdigest()


def jury_feasibility(*, jury: Jury) -> dict[str, Any]:
    data = jury_instance_data(jury=jury)
    if not data["pool"]:
        return {
            "feasible": False,
            "problems": [_("Import the pool first.")],
            "relaxations": [],
        }
    return feasibility_texts(lottery.feasibility_check(lottery.instance_from_dict(data)))


def _run_prepare(*, jury: Jury, method: str, actor: User | None) -> LotteryRun:
    if draw_active(jury=jury) is not None:
        raise ValidationError(
            _("The lottery is already committed; void it first to compute again.")
        )
    data = jury_instance_data(jury=jury)
    if not data["pool"]:
        raise ValidationError(_("Import the pool first."))
    check = feasibility_texts(lottery.feasibility_check(lottery.instance_from_dict(data)))
    if not check["feasible"]:
        raise ValidationError(check["problems"] + check["relaxations"])
    return LotteryRun.objects.create(
        jury=jury,
        method=method,
        instance=data,
        instance_hash=instance_hash(data),
        created_by=actor,
    )


def run_execute(*, run: LotteryRun) -> LotteryRun:
    """Solve a queued run (called inline for MAXIMIN, by the task worker for LEXIMIN)."""
    updated = LotteryRun.objects.filter(pk=run.pk, status=LotteryRun.Status.QUEUED).update(
        status=LotteryRun.Status.RUNNING, started_at=timezone.now()
    )
    run.refresh_from_db()
    if not updated:
        return run

    def progress(state: dict[str, int]) -> None:
        LotteryRun.objects.filter(pk=run.pk).update(progress=state)

    try:
        result = lottery.solve(
            lottery.instance_from_dict(run.instance), method=run.method, progress=progress
        )
    except Exception as exc:  # any solver failure is shown on the page, never a 500
        run.status = LotteryRun.Status.FAILED
        run.error = str(exc)[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at", "updated_at"])
        audit_append(
            jury=run.jury, action="run_failed", payload={"run": run.pk, "method": run.method}
        )
        return run
    run.status = LotteryRun.Status.DONE
    run.result = result
    run.finished_at = timezone.now()
    run.save(update_fields=["status", "result", "finished_at", "updated_at"])
    audit_append(
        jury=run.jury,
        action="run_finished",
        payload={
            "run": run.pk,
            "method": run.method,
            "instance_sha256": run.instance_hash,
            "min_probability": round(result["min_probability"], 6),
            "max_gap": result["report"]["max_gap"],
            "panels": len(result["panels"]),
        },
    )
    return run


def run_preview(*, jury: Jury, actor: User | None) -> LotteryRun:
    """MAXIMIN, computed right away (seconds)."""
    run = _run_prepare(jury=jury, method=LotteryRun.Method.MAXIMIN, actor=actor)
    audit_append(
        jury=jury,
        action="run_started",
        actor=_actor(actor),
        payload={"run": run.pk, "method": run.method},
    )
    return run_execute(run=run)


def run_leximin_start(*, jury: Jury, actor: User | None, background: bool = True) -> LotteryRun:
    """LEXIMIN in the background task worker; the page polls the run's status.
    `background=False` computes it right away (demo data, scripts)."""
    from polku.juries.tasks import lottery_run_execute

    with transaction.atomic():
        run = _run_prepare(jury=jury, method=LotteryRun.Method.LEXIMIN, actor=actor)
        audit_append(
            jury=jury,
            action="run_started",
            actor=_actor(actor),
            payload={"run": run.pk, "method": run.method},
        )
        if background:
            transaction.on_commit(lambda: lottery_run_execute.enqueue(run_id=run.pk))
    if not background:
        run = run_execute(run=run)
    return run


def draw_active(*, jury: Jury) -> Draw | None:
    return jury.draws.filter(voided_at__isnull=True).first()


def draw_commit(*, jury: Jury, run: LotteryRun, actor: User | None) -> Draw:
    """Round the LEXIMIN distribution to a lottery of equally likely slots (the smallest of
    1,000, 10,000, … that keeps everyone's promised smallest chance within 1 %) and publish its
    commitment (SHA-256)."""
    if run.jury_id != jury.pk or run.status != LotteryRun.Status.DONE:
        raise ValidationError(_("Compute the LEXIMIN lottery first."))
    if run.method != LotteryRun.Method.LEXIMIN:
        raise ValidationError(
            _("Only a LEXIMIN lottery can be committed; the MAXIMIN result is a preview.")
        )
    if run.instance_hash != instance_hash(jury_instance_data(jury=jury)):
        raise ValidationError(
            _("The pool or the quotas changed after this run; compute the lottery again.")
        )
    with transaction.atomic():
        Jury.objects.select_for_update().filter(pk=jury.pk).first()
        if draw_active(jury=jury) is not None:
            raise ValidationError(_("The lottery is already committed."))
        rounded = lottery.round_to_uniform(run.result, k=jury.panel_size)
        m = rounded.m
        data = lottery.lottery_file_build(
            lottery.instance_from_dict(run.instance),
            rounded,
            metadata={
                "jury": jury.pk,
                "question": jury.question,
                "draw_number": jury.draws.count() + 1,
                "method": run.method,
                "instance_sha256": run.instance_hash,
                "rounding": {
                    "method": rounded.method,
                    "max_deviation": rounded.max_deviation,
                    "min_probability": rounded.min_probability,
                    "computed_min_probability": rounded.target_min,
                },
                "dice_per_index": lottery.digits_per_chunk(m, "dice"),
                "decimal_digits_per_index": lottery.digits_per_chunk(m, "decimal"),
            },
        )
        draw = Draw.objects.create(
            jury=jury, run=run, lottery=data, commitment=data["commitment"], committed_by=actor
        )
        audit_append(
            jury=jury,
            action="commitment_published",
            actor=_actor(actor),
            payload={
                "draw": draw.pk,
                "commitment": draw.commitment,
                "m": m,
                "run": run.pk,
                "min_probability": round(rounded.min_probability, 6),
            },
        )
    return draw


def draw_enter(*, draw: Draw, kind: str, digits: str, actor: User | None) -> Draw:
    """Enter the public draw input; pick the panel; seat its members."""
    if draw.voided_at is not None or draw.panel_index is not None:
        raise ValidationError(_("This lottery has already been drawn."))
    if kind not in Draw.InputKind.values:
        raise ValidationError(_("Choose dice or decimal digits."))
    m = lottery.lottery_size(draw.lottery)
    try:
        index = lottery.draw_trace(digits, kind, m).index
    except lottery.NeedMoreDigits as exc:
        raise ValidationError(
            _(
                "Not enough digits: each panel number needs %(r)d digits and every group so far fell "
                "outside the fair range. Add at least %(n)d more digits."
            )
            % {"r": lottery.digits_per_chunk(m, kind), "n": exc.digits_needed}
        )
    except lottery.DrawError:
        if kind == "dice":
            raise ValidationError(_("Enter the dice as digits 1–6, for example 3 5 1 6."))
        raise ValidationError(_("Enter the published value as digits 0–9."))
    normalised = "".join(ch for ch in digits if ch.isdigit())
    panel = lottery.slot_panel(draw.lottery, index)
    with transaction.atomic():
        locked = Draw.objects.select_for_update().get(pk=draw.pk)
        if locked.panel_index is not None or locked.voided_at is not None:
            raise ValidationError(_("This lottery has already been drawn."))
        draw.input_kind = kind
        draw.draw_input = normalised
        draw.panel_index = index
        draw.drawn_at = timezone.now()
        draw.save(
            update_fields=["input_kind", "draw_input", "panel_index", "drawn_at", "updated_at"]
        )
        by_pseudonym = {m.pseudonym: m for m in draw.jury.pool.filter(pseudonym__in=panel)}
        JuryMember.objects.bulk_create(
            [JuryMember(jury=draw.jury, draw=draw, pool_member=by_pseudonym[p]) for p in panel]
        )
        audit_append(
            jury=draw.jury,
            action="drawn",
            actor=_actor(actor),
            payload={
                "draw": draw.pk,
                "kind": kind,
                "input": normalised,
                "index": index,
                "panel": sorted(panel),
            },
        )
    return draw


def draw_void(*, draw: Draw, reason: str, actor: User | None) -> Draw:
    """A re-draw is never silent: it needs a written reason, which is logged."""
    if len(reason.strip()) < REDRAW_REASON_MIN_LENGTH:
        raise ValidationError(
            _(
                "Write the reason for the new draw (at least %(n)d characters); it is published in the audit log."
            )
            % {"n": REDRAW_REASON_MIN_LENGTH}
        )
    if draw.voided_at is not None:
        raise ValidationError(_("This lottery has already been voided."))
    with transaction.atomic():
        draw.voided_at = timezone.now()
        draw.void_reason = reason.strip()
        draw.save(update_fields=["voided_at", "void_reason", "updated_at"])
        audit_append(
            jury=draw.jury,
            action="draw_voided",
            actor=_actor(actor),
            payload={"draw": draw.pk, "commitment": draw.commitment, "reason": draw.void_reason},
        )
    return draw


def lottery_file(*, draw: Draw) -> dict[str, Any]:
    """The published file: the committed lottery plus, once drawn, the draw."""
    if draw.panel_index is None:
        return dict(draw.lottery)
    return lottery.lottery_file_with_draw(
        draw.lottery, kind=draw.input_kind, digits=draw.draw_input, index=draw.panel_index
    )


# -- invitations and replacements -------------------------------------------------------
def _member_link_expiry(*, member: JuryMember) -> None:
    path_end = dt.datetime.combine(member.jury.path.ends_on, dt.time(23, 59), tzinfo=dt.UTC)
    member.token_expires_at = max(
        timezone.now() + dt.timedelta(days=INVITATION_VALID_DAYS), path_end
    )


def _member_invite(*, member: JuryMember) -> None:
    """Email the member their personal link (again, if they had one: the earlier link stops
    working at once)."""
    if not member.pool_member.email:
        return  # contact data erased: stays "drawn, not invited" for the facilitator to reach
    # the link's token is minted when the email is sent (juries.emails): nothing usable waits
    # in the task queue; until then the hash of a token nobody knows
    member.token_hash = JuryMember.hash_token(secrets.token_urlsafe(32))
    _member_link_expiry(member=member)
    member.invited_at = timezone.now()
    if member.status == JuryMember.Status.SELECTED:
        member.status = JuryMember.Status.INVITED
    member.save(
        update_fields=["token_hash", "token_expires_at", "invited_at", "status", "updated_at"]
    )
    email_enqueue_on_commit(kind="juries.invitation", member=member.pk)


def member_link_mint(*, member: JuryMember) -> str:
    """A new token for the member's personal link; only its hash is stored."""
    token = secrets.token_urlsafe(32)
    member.token_hash = JuryMember.hash_token(token)
    member.save(update_fields=["token_hash", "updated_at"])
    return settings.POLKU_BASE_URL + reverse("juries:member", args=[token])


def members_invite(*, jury: Jury, actor: User | None) -> int:
    """Invite every drawn member not invited yet (email with a personal link)."""
    draw = draw_active(jury=jury)
    if draw is None or draw.panel_index is None:
        raise ValidationError(_("Draw the panel first."))
    with transaction.atomic():
        members = list(
            jury.members.filter(draw=draw, status=JuryMember.Status.SELECTED).select_related(
                "pool_member", "jury__path", "jury__organisation"
            )
        )
        invited = []
        for member in members:
            _member_invite(member=member)
            if member.status == JuryMember.Status.INVITED:
                invited.append(member)
        if invited:
            audit_append(
                jury=jury,
                action="invited",
                actor=_actor(actor),
                payload={"pseudonyms": sorted(m.pool_member.pseudonym for m in invited)},
            )
    return len(invited)


def _check_seat(member: JuryMember, allowed: Iterable[str]) -> None:
    if member.draw.voided_at is not None:
        raise ValidationError(_("This lottery was voided."))
    if member.status not in allowed:
        raise ValidationError(
            _("This juror is “%(status)s”; that cannot be done now.")
            % {"status": member.get_status_display()}
        )


def member_invitation_resend(*, member: JuryMember, actor: User | None) -> JuryMember:
    """Send the invitation again with a new personal link (the earlier link stops working)."""
    _check_seat(member, (JuryMember.Status.INVITED, JuryMember.Status.ACCEPTED))
    if not member.pool_member.email:
        raise ValidationError(
            _("There is no email address for this person; copy the link and give it to them.")
        )
    with transaction.atomic():
        _member_invite(member=member)
        audit_append(
            jury=member.jury,
            action="invitation_resent",
            actor=_actor(actor),
            payload={"pseudonym": member.pool_member.pseudonym},
        )
    return member


def member_link_create(*, member: JuryMember, actor: User | None) -> str:
    """A new personal link to give to the juror by hand (chat, text message, in person). Only
    its hash is stored, so the link is shown once; the earlier link stops working. A drawn
    member without an email becomes "invited" this way."""
    _check_seat(
        member,
        (JuryMember.Status.SELECTED, JuryMember.Status.INVITED, JuryMember.Status.ACCEPTED),
    )
    with transaction.atomic():
        _member_link_expiry(member=member)
        if member.status == JuryMember.Status.SELECTED:
            member.status = JuryMember.Status.INVITED
            member.invited_at = timezone.now()
        member.save(update_fields=["token_expires_at", "invited_at", "status", "updated_at"])
        link = member_link_mint(member=member)  # shown once on the page, never queued
        audit_append(
            jury=member.jury,
            action="invitation_link_created",
            actor=_actor(actor),
            payload={"pseudonym": member.pool_member.pseudonym},
        )
    return link


def member_by_token(*, token: str) -> JuryMember | None:
    if not token or len(token) > 100:
        return None
    member = (
        JuryMember.objects.filter(token_hash=JuryMember.hash_token(token))
        .select_related("jury__organisation", "jury__path", "pool_member", "draw")
        .first()
    )
    if (
        member is None
        or member.token_expires_at is None
        or member.token_expires_at < timezone.now()
    ):
        return None
    if member.draw.voided_at is not None:
        return None
    return member


def replacement_draw(*, member: JuryMember, actor_label: str = "") -> JuryMember | None:
    """Seat an alternate drawn uniformly among those who keep every quota met, like for like
    first (the most alike the person who left; the core's ``find_replacement``)."""
    jury = member.jury
    draw = member.draw
    seated = list(
        jury.members.filter(draw=draw)
        .exclude(status__in=JuryMember.OUT)
        .values_list("pool_member__pseudonym", flat=True)
    )
    ever = set(jury.members.filter(draw=draw).values_list("pool_member__pseudonym", flat=True))
    panel = (
        [*seated, member.pool_member.pseudonym]
        if member.pool_member.pseudonym not in seated
        else seated
    )
    instance = lottery.instance_from_dict(draw.run.instance)
    result = lottery.replacement(
        instance,
        panel=panel,
        decliner=member.pool_member.pseudonym,
        alternates=[p.id for p in instance.eligible if p.id not in ever],
    )
    chosen = result.chosen
    if chosen is None:
        audit_append(
            jury=jury,
            action="replacement_impossible",
            actor=actor_label,
            payload={"declined": member.pool_member.pseudonym},
        )
        return None
    pool_member = jury.pool.get(pseudonym=chosen)
    info = {
        "candidates": len(result.candidates),
        "alike": len(result.alike),
        "differs": list(result.differs),
        "reason": result.reason,
    }
    replacement = JuryMember.objects.create(
        jury=jury, draw=draw, pool_member=pool_member, replaces=member, replacement=info
    )
    audit_append(
        jury=jury,
        action="replacement",
        actor=actor_label,
        payload={"declined": member.pool_member.pseudonym, "replacement": chosen, **info},
    )
    _member_invite(member=replacement)
    if replacement.status == JuryMember.Status.INVITED:
        audit_append(
            jury=jury, action="invited", actor=actor_label, payload={"pseudonyms": [chosen]}
        )
    return replacement


def _member_leave(*, member: JuryMember, status: str, action: str, actor: User | None) -> None:
    """Decline or withdrawal: the link stops working, the seat goes to a fair alternate. A
    withdrawn juror's votes are removed (the statement is not published yet)."""
    payload: dict[str, Any] = {"pseudonym": member.pool_member.pseudonym}
    if actor is not None:
        payload["recorded_by_staff"] = True  # given by phone or in person, entered by staff
    with transaction.atomic():
        if status == JuryMember.Status.WITHDRAWN:
            removed, _detail = member.votes.all().delete()
            payload["votes_removed"] = removed
        member.status = status
        member.responded_at = timezone.now()
        member.token_hash = ""
        member.save(update_fields=["status", "responded_at", "token_hash", "updated_at"])
        audit_append(jury=member.jury, action=action, actor=_actor(actor), payload=payload)
        replacement_draw(member=member, actor_label=_actor(actor))


def member_respond(*, member: JuryMember, accept: bool) -> JuryMember:
    """The juror answers through their link."""
    if member.status not in (JuryMember.Status.INVITED, JuryMember.Status.ACCEPTED):
        raise ValidationError(_("This invitation has already been answered."))
    if member.status == JuryMember.Status.ACCEPTED:
        if accept:
            return member
        raise ValidationError(_("You have already accepted; to leave the jury, withdraw."))
    if not accept:
        _member_leave(
            member=member, status=JuryMember.Status.DECLINED, action="declined", actor=None
        )
        return member
    with transaction.atomic():
        member.status = JuryMember.Status.ACCEPTED
        member.responded_at = timezone.now()
        member.save(update_fields=["status", "responded_at", "updated_at"])
        audit_append(
            jury=member.jury,
            action="accepted",
            payload={"pseudonym": member.pool_member.pseudonym},
        )
    return member


def member_decline_record(*, member: JuryMember, actor: User | None) -> JuryMember:
    """Staff record a decline the drawn person gave by phone or in person."""
    _check_seat(member, (JuryMember.Status.SELECTED, JuryMember.Status.INVITED))
    _member_leave(member=member, status=JuryMember.Status.DECLINED, action="declined", actor=actor)
    return member


def member_withdraw(*, member: JuryMember, actor: User | None = None) -> JuryMember:
    """An accepted juror leaves the jury (through their own link, or staff record it)."""
    _check_seat(member, (JuryMember.Status.ACCEPTED,))
    if member.jury.statement_published_at is not None:
        raise ValidationError(
            _("The statement is published: the jury's work is done and nobody is replaced.")
        )
    _member_leave(
        member=member, status=JuryMember.Status.WITHDRAWN, action="withdrawn", actor=actor
    )
    return member


# -- recommendations, votes ----------------------------------------------------------------
def recommendation_create(*, jury: Jury, title: str, body: str, actor_label: str) -> Recommendation:
    if not title.strip():
        raise ValidationError(_("Give the recommendation a title."))
    position = jury.recommendations.count() + 1
    with transaction.atomic():
        rec = Recommendation.objects.create(
            jury=jury,
            position=position,
            title=title.strip(),
            body=body.strip(),
            edited_by=actor_label,
        )
        audit_append(
            jury=jury,
            action="recommendation_created",
            actor=actor_label,
            payload={"id": rec.pk, "position": rec.position, "title": rec.title},
        )
    return rec


def recommendation_update(
    *,
    recommendation: Recommendation,
    title: str,
    body: str,
    expected_version: int,
    actor_label: str,
) -> Recommendation:
    """Optimistic versioning: the save only lands if nobody saved in between. Logged."""
    if not title.strip():
        raise ValidationError(_("Give the recommendation a title."))
    if recommendation.jury.statement_published_at is not None:
        raise ValidationError(
            _("The statement is published; recommendations can no longer change.")
        )
    with transaction.atomic():
        updated = Recommendation.objects.filter(
            pk=recommendation.pk, version=expected_version
        ).update(
            title=title.strip(),
            body=body.strip(),
            version=F("version") + 1,
            edited_by=actor_label,
            updated_at=timezone.now(),
        )
        recommendation.refresh_from_db()
        if updated:
            audit_append(
                jury=recommendation.jury,
                action="recommendation_updated",
                actor=actor_label,
                payload={
                    "id": recommendation.pk,
                    "position": recommendation.position,
                    "title": recommendation.title,
                    "version": recommendation.version,
                },
            )
    if not updated:
        raise VersionConflict(recommendation)
    return recommendation


def vote_cast(*, member: JuryMember, recommendation: Recommendation, level: int) -> Vote:
    if member.status != JuryMember.Status.ACCEPTED:
        raise ValidationError(_("Only jurors who have accepted can vote."))
    if recommendation.jury_id != member.jury_id:
        raise ValidationError(_("This recommendation belongs to another jury."))
    if level not in Vote.Level.values:
        raise ValidationError(_("Choose one of the five options."))
    if member.jury.statement_published_at is not None:
        raise ValidationError(_("The statement is published; voting has closed."))
    vote, _created = Vote.objects.update_or_create(
        recommendation=recommendation, member=member, defaults={"level": level}
    )
    return vote


def votes_cast(*, member: JuryMember, levels: Mapping[int, int]) -> int:
    """Several views at once ({recommendation id: level}); all or nothing."""
    recs = {r.pk: r for r in member.jury.recommendations.filter(pk__in=list(levels))}
    if len(recs) != len(levels):
        raise ValidationError(_("This recommendation belongs to another jury."))
    with transaction.atomic():
        for pk, level in levels.items():
            vote_cast(member=member, recommendation=recs[pk], level=level)
    return len(levels)


def tallies_reveal(*, jury: Jury, actor: User | None) -> Jury:
    """Show the vote tallies to every juror (when the jury chose to wait for the facilitator)."""
    if jury.tallies_revealed_at is not None:
        return jury
    with transaction.atomic():
        jury.tallies_revealed_at = timezone.now()
        jury.save(update_fields=["tallies_revealed_at", "updated_at"])
        audit_append(jury=jury, action="tallies_revealed", actor=_actor(actor))
    return jury


# -- statement, response, follow-up --------------------------------------------------------
def statement_publish(*, jury: Jury, intro: str, actor: User | None) -> Jury:
    if not jury.recommendations.exists():
        raise ValidationError(
            _("Write at least one recommendation before publishing the statement.")
        )
    if jury.statement_published_at is not None:
        raise ValidationError(_("The statement is already published."))
    with transaction.atomic():
        jury.statement_intro = intro.strip()
        jury.statement_published_at = timezone.now()
        jury.public_link_id = new_link_id()
        jury.save(
            update_fields=[
                "statement_intro",
                "statement_published_at",
                "public_link_id",
                "updated_at",
            ]
        )
        audit_append(
            jury=jury,
            action="statement_published",
            actor=_actor(actor),
            payload={"recommendations": list(jury.recommendations.values_list("pk", flat=True))},
        )
    return jury


def response_save(
    *, recommendation: Recommendation, decision: str, reasons: str, actor: User | None
) -> Response:
    if recommendation.jury.statement_published_at is None:
        raise ValidationError(_("Publish the statement before the commissioner responds."))
    if decision not in Response.Decision.values:
        raise ValidationError(_("Choose accepted, partly accepted or not accepted."))
    if not reasons.strip():
        raise ValidationError(_("Write the reasons for the decision."))
    with transaction.atomic():
        response, _created = Response.objects.update_or_create(
            recommendation=recommendation,
            defaults={
                "decision": decision,
                "reasons": reasons.strip(),
                "responded_by": _actor(actor),
            },
        )
        audit_append(
            jury=recommendation.jury,
            action="response",
            actor=_actor(actor),
            payload={"recommendation": recommendation.pk, "decision": decision},
        )
    return response


def action_create(
    *,
    recommendation: Recommendation,
    title: str,
    unit: Unit | None,
    contact_email: str,
    due_on: dt.date | None,
    actor: User | None,
    owner: str = "",
) -> FollowUpAction:
    """Turn an accepted recommendation into an experiment of the path, owned by a unit with a
    contact for check-ins, so it is followed up like any other experiment (reminders, results).
    The action keeps the link both ways: the statement lists the experiment and its status, the
    experiment page names the jury and the recommendation (``experiment_origins_from_juries``)."""
    response = getattr(recommendation, "response", None)
    if response is None or response.decision == Response.Decision.REJECTED:
        raise ValidationError(_("Only accepted or partly accepted recommendations become actions."))
    if not title.strip():
        raise ValidationError(_("Name the action."))
    jury = recommendation.jury
    if unit is None or unit.organisation_id != jury.organisation_id:
        raise ValidationError(_("Choose the unit that owns the action."))
    contact_email = contact_email.strip()
    try:
        validate_email(contact_email)
    except ValidationError:
        raise ValidationError(
            _("Give the email of the contact person who answers the check-ins.")
        ) from None
    with transaction.atomic():
        experiment = experiment_create(
            path=jury.path,
            title=title.strip(),
            unit=unit,
            topic_title=(_("Jury recommendation: %(title)s") % {"title": recommendation.title})[
                :200
            ],
            what_we_try=recommendation.body,
            who=owner.strip(),
            first_step_on=due_on,
            contact_email=contact_email,
            created_by=actor,
        )
        action = FollowUpAction.objects.create(
            recommendation=recommendation,
            path=jury.path,
            title=title.strip(),
            owner=owner.strip(),
            due_on=due_on,
            experiment=experiment,
        )
        audit_append(
            jury=jury,
            action="action_created",
            actor=_actor(actor),
            payload={
                "recommendation": recommendation.pk,
                "position": recommendation.position,
                "action": action.pk,
                "title": action.title,
                "experiment": experiment.pk,
                "unit": unit.name,
            },
        )
    return action

"""Writes for organisations, units, memberships and invitations."""

import csv
import io
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from polku.accounts.models import User
from polku.core import hooks
from polku.core.email import email_enqueue_on_commit
from polku.organisations import rules
from polku.organisations.models import Invitation, Membership, Organisation, Unit

MAX_IMPORT_ROWS = 5000
MAX_IMPORT_BYTES = 2 * 1024 * 1024


def organisation_create(*, name: str, created_by: User, description: str = "") -> Organisation:
    name = name.strip()
    if not name:
        raise ValidationError(_("Give the organisation a name."))
    base = slugify(name)[:50] or "org"
    slug = base
    n = 2
    while Organisation.objects.filter(slug=slug).exists():
        slug = f"{base}-{n}"
        n += 1
    with transaction.atomic():
        organisation = Organisation.objects.create(name=name, slug=slug, description=description)
        Membership.objects.create(
            user=created_by, organisation=organisation, role=Membership.Role.FACILITATOR
        )
    return organisation


def unit_create(
    *,
    organisation: Organisation,
    name: str,
    code: str,
    parent: Unit | None = None,
    kind: str = Unit.Kind.LOCAL,
) -> Unit:
    if parent is not None and parent.organisation_id != organisation.pk:
        raise ValidationError(_("The parent unit belongs to another organisation."))
    code = code.strip()
    if organisation.units.filter(code=code).exists():
        raise ValidationError(_("A unit with the code %(code)s already exists.") % {"code": code})
    return Unit.objects.create(
        organisation=organisation, name=name.strip(), code=code, parent=parent, kind=kind
    )


def unit_update(*, unit: Unit, name: str, code: str, parent: Unit | None, kind: str) -> Unit:
    if parent is not None:
        if parent.organisation_id != unit.organisation_id:
            raise ValidationError(_("The parent unit belongs to another organisation."))
        ancestor: Unit | None = parent
        while ancestor is not None:
            if ancestor.pk == unit.pk:
                raise ValidationError(_("A unit cannot be placed under itself."))
            ancestor = ancestor.parent
    code = code.strip()
    if unit.organisation.units.filter(code=code).exclude(pk=unit.pk).exists():
        raise ValidationError(_("A unit with the code %(code)s already exists.") % {"code": code})
    unit.name, unit.code, unit.parent, unit.kind = name.strip(), code, parent, kind
    unit.save()
    return unit


def unit_delete(*, unit: Unit) -> None:
    if unit.children.exists():
        raise ValidationError(_("Remove or move the unit's sub-units first."))
    unit.delete()


@dataclass
class RowError:
    row: int
    message: str


@dataclass
class ImportResult:
    created: list[Unit] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    skipped_rows: int = 0


KIND_ALIASES = {
    "national": Unit.Kind.NATIONAL,
    "valtakunnallinen": Unit.Kind.NATIONAL,
    "keskusjärjestö": Unit.Kind.NATIONAL,
    "nationell": Unit.Kind.NATIONAL,
    "region": Unit.Kind.REGION,
    "alue": Unit.Kind.REGION,
    "piiri": Unit.Kind.REGION,
    "local": Unit.Kind.LOCAL,
    "paikallinen": Unit.Kind.LOCAL,
    "osasto": Unit.Kind.LOCAL,
    "yksikkö": Unit.Kind.LOCAL,
    "lokal": Unit.Kind.LOCAL,
    "other": Unit.Kind.OTHER,
    "muu": Unit.Kind.OTHER,
    "annan": Unit.Kind.OTHER,
    "": Unit.Kind.LOCAL,
}
COLUMN_ALIASES = {
    "code": "code",
    "koodi": "code",
    "tunnus": "code",
    "kod": "code",
    "name": "name",
    "nimi": "name",
    "namn": "name",
    "parent_code": "parent_code",
    "parent": "parent_code",
    "yläyksikkö": "parent_code",
    "ylayksikko": "parent_code",
    "överordnad": "parent_code",
    "kind": "kind",
    "taso": "kind",
    "nivå": "kind",
    "level": "kind",
}

CSV_HELP = gettext_lazy(
    "Columns: code, name, parent_code (optional), kind (optional: national, region, local, "
    "other). Finnish headers koodi, nimi, yläyksikkö, taso also work. Comma or semicolon."
)


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(_("The file is not text (UTF-8). Save it as CSV UTF-8 and try again."))


def unit_import_csv(
    *, organisation: Organisation, data: bytes, valid_rows_only: bool = False
) -> ImportResult:
    """Import units from CSV. By default all-or-nothing: a file with any error imports nothing.
    With `valid_rows_only`, the rows without errors are imported and the others reported.
    Parents may be earlier or later in the file or already exist in the organisation.
    """
    if len(data) > MAX_IMPORT_BYTES:
        raise ValidationError(_("The file is too large (at most 2 MB)."))
    text = _decode(data)
    if not text.strip():
        raise ValidationError(_("The file is empty."))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(reader)
    except (StopIteration, csv.Error):
        raise ValidationError(_("The file has no header row.")) from None
    columns = [COLUMN_ALIASES.get(h.strip().lower()) for h in header]
    missing = [c for c in ("code", "name") if c not in columns]
    if missing:
        raise ValidationError(
            _("The header row must have the columns %(columns)s. Found: %(found)s.")
            % {"columns": ", ".join(missing), "found": ", ".join(h.strip() for h in header)}
        )
    result = ImportResult()
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for number, raw in enumerate(reader, start=2):
            if not any(cell.strip() for cell in raw):
                continue
            if len(rows) >= MAX_IMPORT_ROWS:
                raise ValidationError(_("At most %(n)d rows per file.") % {"n": MAX_IMPORT_ROWS})
            record = {col: raw[i].strip() for i, col in enumerate(columns) if col and i < len(raw)}
            rows.append((number, record))
    except csv.Error as exc:
        raise ValidationError(
            _("The file could not be read as CSV: %(error)s") % {"error": exc}
        ) from None
    if not rows:
        raise ValidationError(_("The file has a header but no units."))

    existing = {u.code: u for u in organisation.units.all()}
    seen: dict[str, int] = {}
    bad_rows: set[int] = set()

    def error(row: int, message: str) -> None:
        result.errors.append(RowError(row, message))
        bad_rows.add(row)

    for number, record in rows:
        code, name = record.get("code", ""), record.get("name", "")
        if not code:
            error(number, _("The code is missing."))
        elif len(code) > 40:
            error(number, _("The code is longer than 40 characters."))
        elif code in existing:
            error(number, _("The code %(code)s is already in use.") % {"code": code})
        elif code in seen:
            error(
                number,
                _("The code %(code)s is already on row %(row)d.")
                % {"code": code, "row": seen[code]},
            )
        else:
            seen[code] = number
        if not name:
            error(number, _("The name is missing."))
        elif len(name) > 200:
            error(number, _("The name is longer than 200 characters."))
        kind = record.get("kind", "").lower()
        if kind not in KIND_ALIASES:
            error(
                number,
                _("Unknown level %(kind)s (use national, region, local or other).")
                % {"kind": record.get("kind", "")},
            )
    by_code = {record["code"]: (number, record) for number, record in rows if record.get("code")}
    for number, record in rows:
        parent_code = record.get("parent_code", "")
        if parent_code and parent_code not in existing and parent_code not in by_code:
            error(number, _("The parent unit %(code)s was not found.") % {"code": parent_code})
        if parent_code and parent_code == record.get("code"):
            error(number, _("A unit cannot be its own parent."))
    # cycles within the file
    for number, record in rows:
        visited = {record.get("code")}
        parent_code = record.get("parent_code", "")
        while parent_code in by_code:
            if parent_code in visited:
                error(number, _("The parent units form a loop."))
                break
            visited.add(parent_code)
            parent_code = by_code[parent_code][1].get("parent_code", "")

    if result.errors and not valid_rows_only:
        result.errors.sort(key=lambda e: e.row)
        return result

    # rows whose parent row is bad cannot be imported either
    good = {number for number, _r in rows} - bad_rows
    changed = True
    while changed:
        changed = False
        for number, record in rows:
            parent_code = record.get("parent_code", "")
            if number in good and parent_code in by_code and by_code[parent_code][0] not in good:
                good.discard(number)
                error(number, _("Not imported because its parent unit's row has errors."))
                changed = True

    with transaction.atomic():
        created: dict[str, Unit] = {}
        pending = [(n, r) for n, r in rows if n in good]
        while pending:
            progress = False
            rest = []
            for number, record in pending:
                parent_code = record.get("parent_code", "")
                parent = None
                if parent_code:
                    parent = created.get(parent_code) or existing.get(parent_code)
                    if parent is None:
                        rest.append((number, record))
                        continue
                try:
                    unit = Unit.objects.create(
                        organisation=organisation,
                        code=record["code"],
                        name=record["name"],
                        parent=parent,
                        kind=KIND_ALIASES[record.get("kind", "").lower()],
                    )
                except IntegrityError:  # pragma: no cover - guarded above
                    raise ValidationError(
                        _("The code %(code)s is already in use.") % {"code": record["code"]}
                    ) from None
                created[unit.code] = unit
                result.created.append(unit)
                progress = True
            pending = rest
            if not progress:
                break
    result.skipped_rows = len(rows) - len(result.created)
    result.errors.sort(key=lambda e: e.row)
    return result


def invitation_create(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    invited_by: User,
    unit: Unit | None = None,
    language: str | None = None,
) -> Invitation:
    """Invite ``email``; the link goes out by email after the commit (the raw token is never
    stored, also not in the task queue)."""
    email = email.strip().lower()
    if role not in Membership.Role.values:
        raise ValidationError(_("Unknown role."))
    inviter = organisation.memberships.filter(user=invited_by).first()
    if not rules.may_grant(inviter, role):
        raise ValidationError(_("You cannot give a role above your own."))
    if role == Membership.Role.UNIT_CONTACT and unit is None:
        raise ValidationError(_("Choose the unit for a unit contact."))
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValidationError(_("The unit belongs to another organisation."))
    if organisation.memberships.filter(user__email__iexact=email).exists():
        raise ValidationError(_("%(email)s is already a member.") % {"email": email})
    with transaction.atomic():
        organisation.invitations.filter(
            email=email, accepted_at__isnull=True, revoked_at__isnull=True
        ).update(revoked_at=timezone.now())
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            role=role,
            unit=unit,
            # the link's token is minted when the email is sent (organisations.emails); until
            # then the hash of a token nobody knows keeps the column unique
            token_hash=Invitation.hash_token(secrets.token_urlsafe(32)),
            invited_by=invited_by,
            expires_at=timezone.now() + timedelta(days=settings.INVITATION_VALID_DAYS),
        )
        email_enqueue_on_commit(
            kind="organisations.invitation",
            invitation=invitation.pk,
            language=language or translation.get_language() or "fi",
        )
    return invitation


def invitation_link_mint(*, invitation: Invitation) -> str:
    """A new token for the invitation's link (the previous link stops working); only its hash
    is stored. Called by the email builder at send time."""
    token = secrets.token_urlsafe(32)
    invitation.token_hash = Invitation.hash_token(token)
    invitation.save(update_fields=["token_hash", "updated_at"])
    return settings.POLKU_BASE_URL + reverse("organisations:invitation_accept", args=[token])


def invitation_revoke(*, invitation: Invitation) -> None:
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at", "updated_at"])


def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    if not invitation.is_open:
        raise ValidationError(_("This invitation is no longer valid."))
    with transaction.atomic():
        membership, _created = Membership.objects.update_or_create(
            user=user,
            organisation=invitation.organisation,
            defaults={"role": invitation.role, "unit": invitation.unit},
        )
        invitation.accepted_at = timezone.now()
        invitation.save(update_fields=["accepted_at", "updated_at"])
        _membership_changed(membership)
    return membership


def _membership_changed(membership: Membership) -> None:
    organisation_id, user_id = membership.organisation_id, membership.user_id
    transaction.on_commit(
        lambda: hooks.membership_changed.notify(organisation_id=organisation_id, user_id=user_id)
    )


def membership_remove(*, membership: Membership, by: Membership) -> None:
    """Remove a member; their open console and projector sockets close (the
    ``membership_changed`` hook). Nobody removes a role above their own."""
    if membership.pk == by.pk:
        raise ValidationError(_("You cannot remove yourself."))
    if not rules.may_grant(by, membership.role):
        raise ValidationError(_("You cannot remove a member whose role is above your own."))
    with transaction.atomic():
        _membership_changed(membership)
        membership.delete()

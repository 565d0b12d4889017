"""Reads. Every request-facing query starts from the request's organisation."""

from django.db.models import Count, QuerySet
from django.http import Http404

from polku.accounts.models import User
from polku.organisations.models import Invitation, Membership, Organisation, Unit


def membership_for(*, user: User, slug: str) -> Membership:
    """The user's membership in the organisation `slug`, or 404.

    404 (not 403) for organisations the user does not belong to: another tenant's
    existence is not revealed.
    """
    if not user.is_authenticated:
        raise Http404
    membership = (
        Membership.objects.select_related("organisation", "unit")
        .filter(user=user, organisation__slug=slug)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def organisation_list_for_user(*, user: User) -> QuerySet[Membership]:
    return (
        Membership.objects.filter(user=user)
        .select_related("organisation", "unit")
        .annotate(path_count=Count("organisation__paths", distinct=True))
        .order_by("organisation__name")
    )


def unit_list(*, organisation: Organisation) -> QuerySet[Unit]:
    return organisation.units.select_related("parent").order_by("name")


def unit_tree(*, organisation: Organisation) -> list[tuple[Unit, int]]:
    """Units in depth-first order with their depth, for an indented tree."""
    units = list(unit_list(organisation=organisation))
    children: dict[int | None, list[Unit]] = {}
    for unit in units:
        children.setdefault(unit.parent_id, []).append(unit)
    ordered: list[tuple[Unit, int]] = []

    def walk(parent_id: int | None, depth: int) -> None:
        for unit in children.get(parent_id, []):
            ordered.append((unit, depth))
            walk(unit.pk, depth + 1)

    walk(None, 0)
    return ordered


def unit_get(*, organisation: Organisation, pk: int) -> Unit:
    unit = organisation.units.filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def member_list(*, organisation: Organisation) -> QuerySet[Membership]:
    return organisation.memberships.select_related("user", "unit").order_by("role", "user__email")


def invitation_list(*, organisation: Organisation) -> QuerySet[Invitation]:
    return organisation.invitations.select_related("unit").filter(
        accepted_at__isnull=True, revoked_at__isnull=True
    )


def invitation_by_token(*, token: str) -> Invitation | None:
    return (
        Invitation.objects.select_related("organisation", "unit")
        .filter(token_hash=Invitation.hash_token(token))
        .first()
    )

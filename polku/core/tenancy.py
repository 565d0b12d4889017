"""Tenant resolution for views: `organisation_view` puts the request's organisation and the
user's membership on the request, and checks one permission from `organisations.rules`.

URL pattern convention: every tenant page lives under ``/o/<org_slug>/...``.
"""

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from polku.organisations.rules import has_perm
from polku.organisations.selectors import membership_for

if TYPE_CHECKING:
    from polku.accounts.models import User
    from polku.organisations.models import Membership, Organisation


class OrganisationRequest(HttpRequest):
    """The request an `organisation_view` hands its view: a logged-in user, their membership
    in the organisation of the URL and that organisation. Annotate tenant views with it
    instead of reaching for attributes a plain `HttpRequest` does not have."""

    user: "User"  # narrowed: never AnonymousUser here
    membership: "Membership"
    organisation: "Organisation"


def organisation_view(permission: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            tenant_request = cast(OrganisationRequest, request)
            membership = membership_for(user=tenant_request.user, slug=org_slug)
            if not has_perm(membership, permission):
                raise PermissionDenied
            tenant_request.membership = membership
            tenant_request.organisation = membership.organisation
            return view(tenant_request, *args, **kwargs)

        return wrapper

    return decorator

"""Tenant resolution for views: `organisation_view` puts the request's organisation and the
user's membership on the request, and checks one permission from `organisations.rules`.

URL pattern convention: every tenant page lives under ``/o/<org_slug>/...``.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from polku.organisations.rules import has_perm
from polku.organisations.selectors import membership_for


def organisation_view(permission: str) -> Callable:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, org_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for(user=request.user, slug=org_slug)  # type: ignore[arg-type]
            if not has_perm(membership, permission):
                raise PermissionDenied
            request.membership = membership  # type: ignore[attr-defined]
            request.organisation = membership.organisation  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator

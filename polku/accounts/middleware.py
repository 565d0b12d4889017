"""Log-in throttling before any password is hashed (each check costs ~1 s of CPU in production).

Two counts (``polku.core.ratelimit``), for the log-in page and the admin's alike:

* ``login.address``: every log-in POST from one address. A flood from one address is refused
  with 429 before Django hashes anything.
* ``login.account``: failed log-ins of one account from any address (guessing one password
  from many addresses). Past it, that account's log-in answers 429 for the rest of the window
  (at most 15 minutes); a password reset by email always works and clears the count.

django-axes (``AXES_*`` settings) adds the lockout per (account, address): five wrong
passwords lock that pair for 15 minutes. A stranger elsewhere cannot lock the real user out.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from polku.core import ratelimit
from polku.core.net import client_ip


@cache
def login_paths() -> frozenset[str]:
    return frozenset({reverse("accounts:login"), reverse("admin:login")})


def account_key(value: object) -> str:
    return str(value or "").strip().lower()[:254]


class LoginThrottleMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or request.path not in login_paths():
            return self.get_response(request)
        account = account_key(request.POST.get("username"))
        if not ratelimit.hit("login.address", client_ip(request)) or (
            account and not ratelimit.test("login.account", account)
        ):
            return render(request, "accounts/throttled.html", status=429)
        response = self.get_response(request)
        if account and not request.user.is_authenticated:
            ratelimit.hit("login.account", account)
        return response

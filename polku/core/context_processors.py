from django.conf import settings
from django.http import HttpRequest


def polku(request: HttpRequest) -> dict:
    return {
        "organisation": getattr(request, "organisation", None),
        "membership": getattr(request, "membership", None),
        "POLKU_BASE_URL": settings.POLKU_BASE_URL,
    }

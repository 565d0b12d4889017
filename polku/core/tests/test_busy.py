"""A database that is out of connections answers the Finnish "try again" page (503), never a
500; any other failure still gets the 500 page."""

import pytest
from django.db import OperationalError
from django.urls import path


def pool_timeout(request):
    from psycopg_pool import PoolTimeout

    try:
        raise PoolTimeout("couldn't get a connection after 10.00 sec")
    except PoolTimeout as error:  # as Django's cursor wrapper re-raises it
        raise OperationalError(str(error)) from error


def too_many_clients(request):
    raise OperationalError("connection failed: FATAL:  sorry, too many clients already")


def bug(request):
    raise RuntimeError("a real bug")


urlpatterns = [
    path("pool/", pool_timeout),
    path("clients/", too_many_clients),
    path("bug/", bug),
]
handler500 = "polku.core.busy.server_error"


@pytest.fixture
def busy_client(client, settings):
    settings.ROOT_URLCONF = __name__
    client.raise_request_exception = False
    return client


@pytest.mark.parametrize("url", ["/pool/", "/clients/"])
def test_out_of_connections_is_a_finnish_try_again_page(busy_client, url):
    response = busy_client.get(url)
    assert response.status_code == 503
    retry = int(response["Retry-After"])
    assert 5 <= retry <= 15
    html = response.content.decode()
    assert '<html lang="fi">' in html
    assert "<h1>Nyt on ruuhkaa</h1>" in html
    assert f"Sivu yrittää uudelleen itsestään {retry} sekunnin kuluttua." in html
    assert f'<meta http-equiv="refresh" content="{retry}">' in html
    assert response["Cache-Control"] == "no-store"


def test_other_failures_still_get_the_500_page(busy_client):
    response = busy_client.get("/bug/")
    assert response.status_code == 500
    assert "Jokin meni vikaan" in response.content.decode()


def test_with_debug_the_view_error_is_still_a_try_again_page(busy_client, settings):
    settings.DEBUG = True
    response = busy_client.get("/pool/")
    assert response.status_code == 503
    assert "<h1>Nyt on ruuhkaa</h1>" in response.content.decode()

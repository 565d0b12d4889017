"""Prepare the provider's database: a client for Polku, an RSA signing key, two users."""

import sys

import django

django.setup()

from django.contrib.auth.models import User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from oidc_provider.models import Client, ResponseType  # noqa: E402

redirect_uri, client_id, client_secret = sys.argv[1:4]
call_command("migrate", verbosity=0)
call_command("creatersakey")
client = Client.objects.create(
    name="Polku",
    client_type="confidential",
    client_id=client_id,
    client_secret=client_secret,
    jwt_alg="RS256",
    require_consent=False,
    reuse_consent=True,
)
client.redirect_uris = [redirect_uri]
client.scope = ["openid", "email", "profile"]
client.save()
client.response_types.add(ResponseType.objects.get(value="code"))
User.objects.create_user("facilitator", "Live-Facilitator@polku.example", "idp-pass-1",
                         first_name="Liisa")  # fmt: skip
User.objects.create_user("outsider", "someone.else@kunta.example", "idp-pass-2")
print("ok")

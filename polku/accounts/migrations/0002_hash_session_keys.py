"""Sessions stored before keep working: their keys are replaced by their hashes
(polku.accounts.sessions). A key is 32 characters, a hash 40, so running this again is a no-op."""

from django.db import migrations

from polku.accounts.sessions import session_key_hash


def hash_session_keys(apps, schema_editor):
    Session = apps.get_model("sessions", "Session")
    for key in list(Session.objects.values_list("session_key", flat=True)):
        if len(key) != 40:
            Session.objects.filter(session_key=key).update(session_key=session_key_hash(key))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial"), ("sessions", "0001_initial")]

    operations = [migrations.RunPython(hash_session_keys, migrations.RunPython.noop)]

"""Workshop summaries: the public link's token is stored hashed, revocable and may expire.

Links already emailed keep working: each stored token is replaced by its hash."""

import hashlib

from django.db import migrations, models


def hash_tokens(apps, schema_editor):
    WorkshopSummary = apps.get_model("reports", "WorkshopSummary")
    for summary in WorkshopSummary.objects.exclude(public_token=""):
        summary.public_token_hash = hashlib.sha256(summary.public_token.encode()).hexdigest()
        summary.save(update_fields=["public_token_hash"])


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="workshopsummary",
            name="public_expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="link expires"),
        ),
        migrations.AddField(
            model_name="workshopsummary",
            name="public_revoked_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="workshopsummary",
            name="public_token_hash",
            field=models.CharField(blank=True, max_length=64, null=True, unique=True),
        ),
        migrations.RunPython(hash_tokens, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name="workshopsummary",
            name="public_token",
        ),
    ]

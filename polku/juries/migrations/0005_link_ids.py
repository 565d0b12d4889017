"""The statement and sign-up links are no longer stored: a random link id each, the link
derived with SECRET_KEY (polku.core.tokens). Links made before cannot be re-derived and stop
working (the statement page says the link is not in use; the jury's page shows the new one)."""

from django.db import migrations, models

import polku.core.tokens


def fill_link_ids(apps, schema_editor):
    Jury = apps.get_model("juries", "Jury")
    for jury in Jury.objects.only("pk", "public_token", "signup_token").iterator():
        Jury.objects.filter(pk=jury.pk).update(
            public_link_id=polku.core.tokens.new_link_id() if jury.public_token else None,
            signup_link_id=polku.core.tokens.new_link_id() if jury.signup_token else None,
        )


class Migration(migrations.Migration):
    dependencies = [("juries", "0004_invitations_followup_order")]

    operations = [
        migrations.AddField(
            model_name="jury",
            name="public_link_id",
            field=models.CharField(
                blank=True,
                help_text="Id of the link to the published statement (set when it is "
                "published); the link itself is derived with SECRET_KEY.",
                max_length=16,
                null=True,
                unique=True,
            ),
        ),
        migrations.AddField(
            model_name="jury",
            name="signup_link_id",
            field=models.CharField(
                blank=True,
                help_text="Id of the open volunteer sign-up link (empty = closed); the link "
                "itself is derived with SECRET_KEY.",
                max_length=16,
                null=True,
                unique=True,
            ),
        ),
        migrations.RunPython(fill_link_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="jury", name="public_token"),
        migrations.RemoveField(model_name="jury", name="signup_token"),
    ]

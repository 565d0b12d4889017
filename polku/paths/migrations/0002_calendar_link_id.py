"""The calendar feed link is no longer stored: a random link id, the link derived with
SECRET_KEY (polku.core.tokens). Links made before cannot be re-derived and stop working: the
feed answers that the link is not in use and the path's page shows the new one."""

from django.db import migrations, models

import polku.core.tokens


def fill_link_ids(apps, schema_editor):
    Path = apps.get_model("paths", "Path")
    for path in Path.objects.only("pk").iterator():
        Path.objects.filter(pk=path.pk).update(calendar_link_id=polku.core.tokens.new_link_id())


class Migration(migrations.Migration):
    dependencies = [("paths", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="path",
            name="calendar_link_id",
            field=models.CharField(max_length=16, null=True),
        ),
        migrations.RunPython(fill_link_ids, migrations.RunPython.noop),
        migrations.RemoveField(model_name="path", name="calendar_token"),
        migrations.AlterField(
            model_name="path",
            name="calendar_link_id",
            field=models.CharField(
                default=polku.core.tokens.new_link_id,
                help_text="Id of the calendar feed link; the link itself is derived with SECRET_KEY.",
                max_length=16,
                unique=True,
            ),
        ),
    ]

"""An enterprise import keeps the sheet as read on upload (``core.imports.sheet_pack``), not the file's bytes.

Uploads still waiting for their job are read here once, so they run as before.
"""

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def read_waiting_uploads(apps, schema_editor):
    from core.excel import SpreadsheetError, read_sheet  # noqa: PLC0415 - only when the migration runs
    from core.imports import sheet_pack  # noqa: PLC0415

    EnterpriseImport = apps.get_model("enterprises", "EnterpriseImport")
    for upload in EnterpriseImport.objects.filter(finished_at__isnull=True).exclude(data=b""):
        try:
            sheet = read_sheet(bytes(upload.data), max_bytes=settings.IMPORT_MAX_BYTES)
        except SpreadsheetError as exc:  # as the job reported an unreadable file: an error on row 1
            upload.finished_at = timezone.now()
            upload.result = {"ok": False, "error_count": 1, "errors": [{"row": 1, "column": "", "message": str(exc)}]}
            upload.save(update_fields=["finished_at", "result"])
            continue
        upload.sheet = sheet_pack(sheet)
        upload.save(update_fields=["sheet"])


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0005_fewer_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="enterpriseimport",
            name="sheet",
            field=models.BinaryField(default=b"", editable=False),
            preserve_default=False,
        ),
        migrations.RunPython(read_waiting_uploads, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(
            model_name="enterpriseimport",
            name="data",
        ),
    ]

"""Draw.algorithm: the published algorithm a draw is run and replayed with.

Every draw that exists when this migration runs was created, and its pool published, under ``ssj-draw-1``:
it keeps that algorithm (its public record must keep replaying unchanged). New draws get ``ssj-draw-2``.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("sampling", "0004_inspection_tasks_moved_to_inspections"),
    ]

    operations = [
        # Existing rows get the default of the added column: the algorithm they were drawn with.
        migrations.AddField(
            model_name="draw",
            name="algorithm",
            field=models.CharField(default="ssj-draw-1", editable=False, max_length=20, verbose_name="algorithm"),
        ),
        # From now on, a new draw uses the current algorithm.
        migrations.AlterField(
            model_name="draw",
            name="algorithm",
            field=models.CharField(default="ssj-draw-2", editable=False, max_length=20, verbose_name="algorithm"),
        ),
    ]

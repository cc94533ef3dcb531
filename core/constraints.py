"""Database CHECK constraints for enumerated columns, and the migration step that adds them safely.

Every column whose values come from a ``TextChoices`` enum carries a CHECK constraint naming its values
(issue 14 item 4), so the database refuses a value the code does not know, whoever writes it (raw SQL,
a bulk COPY, a bad migration). :func:`choice_checks` builds them for a model's ``Meta.constraints``;
:func:`refuse_existing_violations` runs before a migration adds constraints and fails loudly, naming
the rows, if existing data would break one — it never fixes data silently.
"""

from __future__ import annotations

from django.db import migrations, models
from django.db.models import Count, Q


def choice_checks(prefix: str, **fields) -> list[models.CheckConstraint]:
    """One CHECK per ``field=Enum`` (or ``field=(Enum, "")`` to allow the empty value too)."""
    checks = []
    for field, spec in fields.items():
        enum, *extra = spec if isinstance(spec, tuple) else (spec,)
        values = sorted({*enum.values, *extra})
        checks.append(models.CheckConstraint(condition=Q(**{f"{field}__in": values}), name=f"{prefix}_{field}_valid"))
    return checks


def _violations(model, constraint, limit: int = 20) -> list[str]:
    if isinstance(constraint, models.CheckConstraint):
        rows = model._base_manager.exclude(constraint.condition).values_list("pk", flat=True)[:limit]
        return [f"{model._meta.db_table} id={pk}" for pk in rows]
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        qs = model._base_manager.all()
        if constraint.condition is not None:
            qs = qs.filter(constraint.condition)
        groups = (
            qs.values(*constraint.fields).annotate(n=Count("pk")).filter(n__gt=1).order_by(*constraint.fields)[:limit]
        )
        return [
            f"{model._meta.db_table} " + ", ".join(f"{f}={g[f]}" for f in constraint.fields) + f" ({g['n']} rows)"
            for g in groups
        ]
    return []


def refuse_existing_violations(app_label: str, operations) -> migrations.RunPython:
    """A migration step run before ``operations`` (``AddConstraint``): refuse, naming the rows, if any
    existing row breaks one of the constraints being added."""

    def check(apps, schema_editor):
        problems = []
        for operation in operations:
            if isinstance(operation, migrations.AddConstraint):
                model = apps.get_model(app_label, operation.model_name)
                problems += [f"{operation.constraint.name}: {row}" for row in _violations(model, operation.constraint)]
        if problems:
            raise RuntimeError(
                "Existing rows break the new constraints; correct them first (nothing was changed):\n  "
                + "\n  ".join(problems)
            )

    return migrations.RunPython(check, migrations.RunPython.noop, elidable=False)

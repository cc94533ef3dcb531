"""Load the shipped reference data (divisions, industries). Idempotent; models passed in for migrations."""

from .data.divisions import DIVISIONS
from .data.industries import INDUSTRIES


def _load_tree(Model, rows):
    existing = dict(Model.objects.values_list("code", "pk"))
    for code, name, parent in rows:  # parents come before children in the data
        if code in existing:
            Model.objects.filter(pk=existing[code]).update(name=name, parent_id=existing.get(parent))
        else:
            existing[code] = Model.objects.create(code=code, name=name, parent_id=existing.get(parent)).pk


def load_reference_data(Division, Industry) -> None:
    _load_tree(Division, DIVISIONS)
    _load_tree(Industry, INDUSTRIES)

"""The home page's to-do list: what waits for the signed-in user in the current bureau.

Each app contributes through its ``AppConfig.todo``, the dotted path of a function ``(request) ->
list[Todo]`` (like ``nav_items`` for the navigation); the function looks at ``request.roles`` and
returns nothing for roles it has no work for. Items with a count of 0 are not shown.
"""

from dataclasses import dataclass

from django.apps import apps
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Todo:
    label: str
    count: int
    url: str
    urgent: bool = False  # shown as a warning (e.g. a deadline passed)
    details: tuple = ()  # (text, url) of the first few things counted, listed under the item


def todo_items(request) -> list[Todo]:
    if request.bureau is None:
        return []
    items = []
    for config in apps.get_app_configs():
        path = getattr(config, "todo", None)
        if path:
            items.extend(item for item in import_string(path)(request) if item.count)
    return items

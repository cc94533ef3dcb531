from django.apps import apps
from django.urls import NoReverseMatch, reverse

from .access import grants


def navigation(request):
    """The header's navigation: each app's ``nav_items`` the user's roles allow, and his bureaus.

    An item may carry a fourth element, ``"own"``: a person's own pages (an inspector's tasks), listed first.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_bureaus": []}
    roles = getattr(request, "roles", frozenset())
    own, items = [], []
    for config in apps.get_app_configs():
        for label, url_name, allowed, *kind in getattr(config, "nav_items", ()):
            if allowed and not roles & set(allowed):
                continue
            try:
                url = reverse(url_name)
            except NoReverseMatch:
                continue
            (own if kind == ["own"] else items).append({"label": label, "url": url, "active": False})
    items = own + items
    # The current page belongs to the item with the longest URL it starts with (/publication/reports/ is
    # "Reports", not also "Publication").
    matching = [item for item in items if item["url"] != "/" and request.path.startswith(item["url"])]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    bureaus = sorted((b for b, _roles in grants(user).values()), key=lambda b: b.code)
    return {"nav_items": items, "user_bureaus": bureaus}

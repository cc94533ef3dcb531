"""A confirmation step for the actions that cannot be undone, that works without JavaScript.

The page's button posts to the action as before; without ``confirm=1`` the action answers with a
confirmation page (what will happen, to what, a 确认 button that posts the same fields again with
``confirm=1``, and a 取消 link back) and changes nothing. Use it after the access checks (and after the
form's own validation when there is one), just before the service call::

    if not confirmed(request):
        return confirm_page(request, title=..., what=..., subject=..., cancel_url=...)
"""

from __future__ import annotations

from django.shortcuts import render

CONFIRM_FIELD = "confirm"
CARRIED_OVER_EXCEPT = {"csrfmiddlewaretoken", CONFIRM_FIELD}


def confirmed(request) -> bool:
    """Whether this request is the confirmed POST (``confirm=1``)."""
    return request.method == "POST" and request.POST.get(CONFIRM_FIELD) == "1"


def confirm_page(
    request, *, title: str, what: str, subject: str = "", details=(), cancel_url: str, button: str = "", status=200
):
    """The confirmation page: ``what`` will happen to ``subject``; ``details`` are (label, value) lines.

    The fields of the first POST (a reason, the chosen inspector, the selected results…) are carried over as
    hidden inputs, so the confirmed POST is the same request plus ``confirm=1``.
    """
    carried = []
    if request.method == "POST":
        carried = [
            (name, value)
            for name, values in request.POST.lists()
            if name not in CARRIED_OVER_EXCEPT
            for value in values
        ]
    context = {
        "title": title,
        "what": what,
        "subject": subject,
        "details": list(details),
        "carried": carried,
        "action_url": request.path,
        "cancel_url": cancel_url,
        "button": button,
    }
    return render(request, "includes/confirm.html", context, status=status)

"""Who may see and do what: bureau scope and roles.

A user works in one *active* bureau at a time (chosen in the header, kept in the session) among
the bureaus he is granted. Objects of a bureau he is not granted answer 404, never 403; an action
his role does not allow in his own bureau answers 403.
"""

from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from .enums import Role
from .models import Bureau, Membership

SESSION_KEY = "active_bureau_id"


def grants(user) -> dict[int, tuple[Bureau, frozenset[str]]]:
    """{bureau id: (bureau, roles)} for a user, in one query, cached on the user object."""
    if not user.is_authenticated:
        return {}
    cached = user.__dict__.get("_ssj_grants")
    if cached is None:
        if user.is_superuser:
            cached = {b.pk: (b, frozenset(Role.values)) for b in Bureau.objects.all()}
        else:
            found: dict[int, tuple[Bureau, set[str]]] = {}
            for m in Membership.objects.filter(user=user).select_related("bureau"):
                found.setdefault(m.bureau_id, (m.bureau, set()))[1].add(m.role)
            cached = {pk: (bureau, frozenset(roles)) for pk, (bureau, roles) in found.items()}
        user.__dict__["_ssj_grants"] = cached
    return cached


def granted_bureau_ids(user) -> set[int]:
    return set(grants(user))


def roles_in(user, bureau) -> frozenset[str]:
    if bureau is None:
        return frozenset()
    return grants(user).get(bureau.pk, (None, frozenset()))[1]


def has_role(user, bureau, *roles) -> bool:
    return bool(roles_in(user, bureau) & set(roles))


def active_bureau(request):
    """The bureau the user is working in: the session's choice if still granted, else his first."""
    granted = grants(request.user)
    if not granted:
        return None
    chosen = request.session.get(SESSION_KEY)
    return granted[chosen if chosen in granted else min(granted)][0]


def scoped_or_404(queryset, user, **lookup):
    """Fetch one object of a bureau the user is granted, else 404 (the object 'does not exist' for him)."""
    return get_object_or_404(queryset.filter(bureau_id__in=granted_bureau_ids(user)), **lookup)


def require_bureau_role(user, bureau, *roles):
    """404 outside the user's bureaus; 403 inside them without one of ``roles``."""
    if bureau.pk not in grants(user):
        raise Http404
    if not has_role(user, bureau, *roles):
        raise PermissionDenied


def role_required(*roles):
    """View decorator: the user must hold one of ``roles`` in his active bureau (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.bureau is None or not has_role(request.user, request.bureau, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.required_roles = roles
        return wrapper

    return decorator

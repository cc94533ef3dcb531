from .access import active_bureau, roles_in


class BureauMiddleware:
    """Puts the user's active bureau and his roles in it on the request (one query, staff only)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.bureau = active_bureau(request)
            request.roles = roles_in(request.user, request.bureau)
        else:
            request.bureau = None
            request.roles = frozenset()
        return self.get_response(request)

"""What the management commands share: the ``--bureau CODE`` option read into a bureau."""

from django.core.management.base import CommandError

from core.models import Bureau


def bureau_option(code: str | None) -> Bureau | None:
    """The bureau of ``--bureau CODE`` (None without the option); an unknown code stops the command, named."""
    if not code:
        return None
    bureau = Bureau.objects.filter(code=code).first()
    if bureau is None:
        raise CommandError(f"no bureau with the code {code!r}")
    return bureau

class DomainError(Exception):
    """A refused state change, with a message a user can read (shown as-is on the page)."""

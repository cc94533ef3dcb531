class DomainError(Exception):
    """A refused state change, with a message a user can read (shown as-is on the page)."""


class StepRefused(DomainError):
    """A step of a draw or an inspection refused because an inspector may no longer take part in it (recused,
    on leave, certificate, inactive): the refusal itself is written to the audit trail afterwards, in its own
    transaction (:func:`core.audit.audit_refusal`), since the refused one rolled back.

    ``inspectors``: ``[(code, name, rule)]``; ``enterprise``: ``(uscc, name)``; ``draw_id``: the draw the step
    belongs to (its staff page lists the refusals).
    """

    def __init__(self, message: str, *, obj, step: str, day, enterprise: tuple[str, str], inspectors, draw_id: int):
        super().__init__(message)
        self.obj = obj
        self.step = step
        self.day = day
        self.enterprise = enterprise
        self.inspectors = list(inspectors)
        self.draw_id = draw_id

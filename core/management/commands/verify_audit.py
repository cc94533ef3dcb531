from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from core.audit import read_anchors, verify_chain, verify_rows
from core.models import AuditAnchor


def _day(anchor: dict) -> str:
    """The local day an anchor was taken (YYYY-MM-DD), or "" when the line has no valid time."""
    try:
        at = parse_datetime(anchor.get("at") or "")
    except ValueError:
        at = None
    return timezone.localtime(at).date().isoformat() if at is not None and at.tzinfo else ""


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain and name the first broken entry; compare every draw, "
        "publication and exemption with the latest state the chain records for it; check that every chain "
        "head anchored (in the database, and with --anchors in the operator's file) is still in the chain."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="the anchor file kept by the operator (AUDIT_ANCHOR_FILE, one JSON object a line)",
        )
        parser.add_argument(
            "--anchored-before",
            metavar="YYYY-MM-DD",
            help="only the file's anchors taken before this day (a restored backup holds no later entries)",
        )

    def handle(self, *args, **options):
        try:
            anchors = read_anchors(options["anchors"]) if options["anchors"] else []
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read the anchors: {exc}") from exc
        if options["anchored_before"]:
            anchors = [a for a in anchors if _day(a) < options["anchored_before"]]
        anchors += [anchor.as_line() for anchor in AuditAnchor.objects.order_by("id")]  # as published
        report = verify_chain(anchors)
        problems = []
        if report.broken_id is not None:
            problems.append(
                f"audit chain broken at entry #{report.broken_id}: {report.reason} "
                f"({report.checked} entries before it are intact)"
            )
        for anchor, reason in report.anchor_errors:
            problems.append(
                f"anchor of {anchor.get('at', '?')} (entry #{anchor['entry']}, hash {anchor['hash'][:16]}…): {reason}"
                " — the chain was truncated, shortened or rehashed"
            )
        mismatches = verify_rows(report.states)
        problems.extend(f"changed outside the services: {mismatch}" for mismatch in mismatches)
        if problems:
            raise CommandError("\n".join(problems))
        message = f"audit chain intact: {report.checked} entries"
        if report.states:
            message += f"; {len(report.states)} draws, publications and exemptions as recorded"
        if anchors:
            message += f"; {len(anchors)} anchors held"
        self.stdout.write(message)

from django.core.management.base import BaseCommand, CommandError

from core.audit import read_anchors, verify_chain, verify_rows


class Command(BaseCommand):
    help = (
        "Recompute the audit trail's hash chain and name the first broken entry; compare every draw, "
        "publication and exemption with the latest state the chain records for it; with --anchors, check "
        "that every chain head recorded in the file is still in the chain with its hash."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--anchors",
            metavar="FILE",
            help="the anchor file kept by the operator (AUDIT_ANCHOR_FILE, one JSON object a line)",
        )

    def handle(self, *args, **options):
        anchors = read_anchors(options["anchors"]) if options["anchors"] else []
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

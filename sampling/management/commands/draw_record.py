"""Print a draw's public record, or with ``--result`` its stored result after checking that it replays.

    manage.py draw_record 建环抽查〔2026〕1号-1-2026Q1-1 > record.json
    python3 -m sampling.verify record.json > replay.json
    manage.py draw_record 建环抽查〔2026〕1号-1-2026Q1-1 --result > stored.json

The restore drill (docs/deployment.md) diffs ``replay.json`` and ``stored.json``. With ``--result`` the
command also replays the record itself and checks the published hashes and the seed; it says on
standard error whether everything matches and exits 1 if not. The task and the draw's last number may
be left out when one draw answers (of several, the only approved one is taken). Each use is written to
the audit trail, as every view of a draw's list is.
"""

from __future__ import annotations

import getpass

from django.core.management.base import BaseCommand, CommandError

from sampling import algorithm, draws
from sampling.models import DrawData
from sampling.records import DrawNotFound, draw_by_number, draw_public_record, record_json
from sampling.verify import output_json


def replay_checks(draw, data: DrawData, record: dict) -> list[tuple[str, bool]]:
    """Each published fact of the draw recomputed from its record: ``[(what, matches)]``."""
    try:
        replayed = algorithm.replay(record)
    except algorithm.DrawError:
        replayed = None
    holds = dict(algorithm.record_checks(record))
    return [
        ("pool hash", holds["pool"]),
        ("inspector pool hash", holds["inspectors"]),
        ("nonce hash", holds["nonce"]),
        ("seed", holds["seed"]),
        ("selection and teams", replayed is not None and replayed == data.result),
    ]


class Command(BaseCommand):
    help = "Print a draw's public JSON record; with --result, its stored result, after replaying the record."

    def add_arguments(self, parser):
        parser.add_argument("number", help="the draw's number, e.g. 建环抽查〔2026〕1号-1-2026Q1-1")
        parser.add_argument(
            "--result",
            action="store_true",
            help="print the stored result instead, replay the record and say whether the replay matches",
        )

    def handle(self, *args, number, result, **options):
        try:
            draw = draw_by_number(number)
        except DrawNotFound as exc:
            raise CommandError(str(exc)) from exc
        data = DrawData.objects.get(draw=draw)
        record = draw_public_record(draw, data)
        draws.draw_record_view(
            actor=f"manage.py draw_record ({getpass.getuser()})", draw=draw, what="result" if result else "command"
        )
        if not result:
            self.stdout.write(record_json(record))
            return
        self.stdout.write(output_json(data.result))  # exactly as python -m sampling.verify prints a replay
        checks = replay_checks(draw, data, record)
        failed = [what for what, ok in checks if not ok]
        if failed:
            raise CommandError(f"{draw.number}: the replay does not match the stored draw: {', '.join(failed)} differ")
        self.stderr.write(
            f"{draw.number}: the replay matches the stored result ({draw.selected_count} drawn; "
            + ", ".join(what for what, _ok in checks)
            + " checked)"
        )

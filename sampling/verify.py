"""Replay a published draw record: ``python -m sampling.verify RECORD.json``.

Replays every published version of the draw algorithm (``ssj-draw-2``, the current one, and
``ssj-draw-1``), choosing by the record's ``algorithm``; an unknown name is refused, naming the known
versions. The algorithms' one source is their published text, docs/draw-algorithm.md (also on the
public site at /public/draws/algorithm/).

Prints the replayed outcome as JSON on stdout and exits 0. A record that cannot be read, is not JSON,
is malformed, or cannot be staffed prints ``error: <message>`` on stderr and exits 2.
Needs nothing but the Python standard library.
"""

from __future__ import annotations

import argparse
import json
import sys

from sampling.algorithm import DrawError, replay

EXIT_INVALID = 2


def output_json(result: dict) -> str:
    """The replay's output as printed: one line of JSON (C-accelerated: a province's reserve is 200,000 ids)."""
    return json.dumps(result, ensure_ascii=False)


def _read(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def main(argv: list[str] | None = None) -> int:
    """Run the verifier; return the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m sampling.verify",
        description="Replay a published draw record (ssj-draw-2 or ssj-draw-1) and print its outcome as JSON.",
    )
    parser.add_argument("record", help="path to the record JSON file, or - for stdin")
    args = parser.parse_args(argv)
    source = "standard input" if args.record == "-" else args.record

    try:
        text = _read(args.record)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"error: cannot read {source}: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        print(f"error: {source} is not valid JSON: {exc}", file=sys.stderr)
        return EXIT_INVALID
    try:
        result = replay(record)
    except DrawError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID

    print(output_json(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""One module's mutation run, in its own process (mutmut keeps global state): ``python -m tests.mutation.one
MODULE TEST...``. Called by tests/mutation/run.py; prints mutmut's progress, then one line of JSON with the
verdict and the diff of every mutant."""

import json
import os
import sys
from pathlib import Path


def main(module: str, tests: list[str]) -> None:
    from mutmut import configuration
    from mutmut.__main__ import _run
    from mutmut.mutation.data import SourceFileMutationData
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    config = configuration.config()
    config.only_mutate = [module]
    config.pytest_add_cli_args_test_selection = tests
    _run((), max_children=int(os.environ.get("SSJ_MUTATION_JOBS", "2")))
    data = SourceFileMutationData(path=Path(module))
    data.load()
    mutants = {
        name: {"exit_code": code, "diff": get_diff_for_mutant(name, path=Path(module))}
        for name, code in sorted(data.exit_code_by_key.items())
    }
    sys.stdout.flush()
    print("\n" + json.dumps({"module": module, "mutants": mutants}, ensure_ascii=False))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2:])

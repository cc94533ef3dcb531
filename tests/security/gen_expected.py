"""Print what the product answers, cell by cell, in the old EXPECTED format (a debugging aid, not an expectation).

The expected answers are the hand-written table of policy.py; this prints the observed ones to compare by eye:
.venv/bin/pytest tests/security/gen_expected.py -p no:cacheprovider --no-header -q -s -o python_files=gen_expected.py
"""

import os

from tests.security.matrix import KINDS, kind_of, observe, row, url_names


def test_generate(world, no_objection_rate_limit):
    lines = ["EXPECTED = {"]
    for name in url_names():
        if kind_of(name) not in KINDS:
            lines.append(f"    # {name}: unknown kind")
            continue
        states, _ = KINDS[kind_of(name)]
        lines.append(f'    "{name}": {{')
        for state in states:
            lines.append(f'        "{state}": "{row(observe(world, name, state))}",')
        lines.append("    },")
    lines.append("}")
    with open(os.environ.get("MATRIX_OUT", "/tmp/observed.py"), "w") as out:
        out.write("\n".join(lines) + "\n")

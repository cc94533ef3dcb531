"""The spreadsheet parser's child process runs below the web worker's CPU priority (issue 19, item 5)."""

import os
import subprocess
import sys

from core import excel
from tests.spreadsheets import make_xlsx


def test_the_parser_child_is_started_with_the_configured_nice(settings, monkeypatch):
    settings.IMPORT_PARSE_NICE = 7
    commands = []
    real_run = subprocess.run

    def recording_run(command, **kwargs):
        commands.append(command)
        return real_run(command, **kwargs)

    monkeypatch.setattr(excel.subprocess, "run", recording_run)
    header, rows = excel._parse_in_child(make_xlsx(["名称", "代码"], [["甲公司", "91410000"]]))
    assert header == ["名称", "代码"] and rows == [["甲公司", "91410000"]]
    assert len(commands) == 1 and commands[0][-1] == "7"


def test_the_child_lowers_its_own_priority():
    """The child script itself calls os.nice with its second argument before parsing."""
    probe = (
        "import os, runpy, sys; sys.argv = ['sheet_child.py', str(2**31), '5']; "
        "import core.sheet_child as child; real = child.parse; "
        "child.parse = lambda data: (os.write(2, str(os.nice(0)).encode()), real(data))[1]; child.main()"
    )
    before = os.nice(0)
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        input=make_xlsx(["名称"], [["甲公司"]]),
        capture_output=True,
        check=True,
        cwd=str(excel.settings.BASE_DIR),
    )
    assert int(completed.stderr.decode().strip()) == min(before + 5, 19)

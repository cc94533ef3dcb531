"""python manage.py import_enterprises FILE.xlsx --bureau CODE"""

import pytest
from django.core.management import CommandError, ManagementUtility, call_command

from core.models import AuditEntry
from enterprises.models import Enterprise
from enterprises.spreadsheet import HEADER
from tests.enterprises.conftest import row_for
from tests.factories import valid_uscc
from tests.spreadsheets import make_xlsx


def test_import_command_imports_and_reports(tmp_path, bureau, capsys):
    path = tmp_path / "名录.xlsx"
    path.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(600), "甲"), row_for(valid_uscc(601), "乙")]))
    call_command("import_enterprises", str(path), "--bureau", "jianan")
    assert capsys.readouterr().out == "2 rows: 2 created, 0 updated, 0 unchanged (0 status changes).\n"
    assert set(Enterprise.objects.filter(bureau=bureau).values_list("name", flat=True)) == {"甲", "乙"}
    entry = AuditEntry.objects.get()
    assert (entry.action, entry.actor, entry.actor_name, entry.data["file"]) == (
        "enterprises.import",
        None,
        "manage.py import_enterprises",
        "名录.xlsx",
    )


def test_import_command_records_the_given_user(tmp_path, bureau, carol):
    path = tmp_path / "a.xlsx"
    path.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(602), "甲")]))
    call_command("import_enterprises", str(path), "--bureau", "jianan", "--user", "carol")
    assert AuditEntry.objects.get().actor == carol


def test_import_command_lists_errors_and_writes_nothing(tmp_path, bureau, capsys):
    path = tmp_path / "bad.xlsx"
    path.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(603), "甲"), row_for("91411081380244962D", "乙")]))
    with pytest.raises(CommandError, match="Nothing was imported: 1 error was found"):
        call_command("import_enterprises", str(path), "--bureau", "jianan")
    assert capsys.readouterr().err == "row 3, 统一社会信用代码: USCC 91411081380244962D has a wrong check character.\n"
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.exists()


def test_import_command_refuses_a_non_excel_file(tmp_path, bureau):
    path = tmp_path / "notes.xlsx"
    path.write_text("not a workbook")
    with pytest.raises(CommandError, match=r"notes.xlsx: The file is not an Excel workbook \(.xlsx\)."):
        call_command("import_enterprises", str(path), "--bureau", "jianan")
    assert not Enterprise.objects.exists()


def test_import_command_unknown_bureau_user_or_file(tmp_path, bureau):
    path = tmp_path / "a.xlsx"
    path.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(604), "甲")]))
    with pytest.raises(CommandError, match="no bureau with the code 'nowhere'"):
        call_command("import_enterprises", str(path), "--bureau", "nowhere")
    with pytest.raises(CommandError, match="No user 'zed'"):
        call_command("import_enterprises", str(path), "--bureau", "jianan", "--user", "zed")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_enterprises", str(tmp_path / "missing.xlsx"), "--bureau", "jianan")
    assert not Enterprise.objects.exists()


def manage(monkeypatch, *args) -> int:
    """Run ``manage.py import_enterprises …`` as the shell does (ManagementUtility); the process's exit code.

    Django closes every connection after a command run from the command line; that is skipped here so the
    test's transaction survives.
    """
    monkeypatch.setattr("django.core.management.base.connections.close_all", lambda: None)
    try:
        ManagementUtility(["manage.py", "import_enterprises", *args]).execute()
    except SystemExit as exc:
        return exc.code
    return 0


def test_import_command_exit_codes(tmp_path, bureau, monkeypatch, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(610), "甲")]))
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(make_xlsx(HEADER, [row_for(valid_uscc(611), "乙"), row_for("91411081380244962D", "丙")]))
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a zip")
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")

    assert manage(monkeypatch, str(bad), "--bureau", "jianan") == 1
    captured = capsys.readouterr()
    assert captured.err == (
        "row 3, 统一社会信用代码: USCC 91411081380244962D has a wrong check character.\n"
        "CommandError: Nothing was imported: 1 error was found. Correct it and upload the file again.\n"
    )
    assert manage(monkeypatch, str(junk), "--bureau", "jianan") == 1
    assert capsys.readouterr().err == "CommandError: junk.xlsx: The file is not an Excel workbook (.xlsx).\n"
    assert manage(monkeypatch, str(empty), "--bureau", "jianan") == 1
    assert capsys.readouterr().err == "CommandError: empty.xlsx: The file is empty.\n"
    assert manage(monkeypatch, str(good), "--bureau", "nowhere") == 1
    assert not Enterprise.objects.exists()
    assert not AuditEntry.objects.exists()

    assert manage(monkeypatch, str(good), "--bureau", "jianan") == 0
    assert capsys.readouterr().out.endswith("1 rows: 1 created, 0 updated, 0 unchanged (0 status changes).\n")
    assert list(Enterprise.objects.values_list("name", flat=True)) == ["甲"]

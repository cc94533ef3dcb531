"""Every page in words (issue 17): walk every staff and public page as each persona, in zh-hans.

A page a person reads shows no internal code: no dotted code (``publication.batch_published``), no
``app.model id`` string (``sampling.inspectiontask 44``) and no English msgid left untranslated. Only the
text a person reads is checked: not <script>, <style>, attributes (titles, URLs, values), nor the raw
record of an audit entry (its ``data``, in <pre>).
"""

import glob
import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from .matrix import KINDS, client_for, kind_of, url_names
from .world import ROLES

DOTTED = re.compile(r"(?<![\w.@/-])[a-z_]+\.[a-z_]+(?![\w.@/-]*@)")
# (not the tail of a file name: "results.csv.gz 590 bytes" on the open-data page is a name and a size)
OBJECT_ID = re.compile(r"(?<![\w.@/-])[a-z_]+\.[a-z_]+ \d+")
# Dotted text a person may legitimately read: the verifier's command line and its file names.
ALLOWED_DOTTED = {"sampling.verify", "record.json"}
FILE_NAME = re.compile(r"\.(json|pdf|xlsx|csv|py|png|jpg|svg|txt)$")
SKIPPED_TAGS = {"script", "style", "pre"}


class VisibleText(HTMLParser):
    def __init__(self):
        super().__init__()
        self.skip = 0
        self.parts = []

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED_TAGS:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in SKIPPED_TAGS and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def english_msgids() -> list[str]:
    """The catalogues' msgids that read as English words (two words at least, no placeholder)."""
    root = Path(settings.BASE_DIR)
    msgids = set()
    for path in glob.glob(str(root / "**/locale/zh_Hans/LC_MESSAGES/django.po"), recursive=True):
        if "/.venv/" in path:
            continue
        for entry in polib.pofile(path):
            text = entry.msgid
            if entry.obsolete or "%" in text or "{" in text or entry.msgstr == text:
                continue
            if re.fullmatch(r"[A-Za-z][A-Za-z' ,-]*[a-z]", text) and len(text.split()) >= 2:
                msgids.add(text)
    return sorted(msgids, key=len, reverse=True)


def problems_of(text: str, msgids) -> list[str]:
    found = []
    for match in DOTTED.finditer(text):
        word = match.group(0)
        if word in ALLOWED_DOTTED or FILE_NAME.search(word):
            continue
        found.append(f"code {word!r}")
    found += [
        f"object id {m.group(0)!r}"
        for m in OBJECT_ID.finditer(text)
        if not FILE_NAME.search(m.group(0).split()[0].removesuffix(".gz"))  # a file name and its size
    ]
    found += [f"untranslated {msgid!r}" for msgid in msgids if msgid in text]
    return found


def test_the_checks_find_what_they_should():
    msgids = ["Approve and lock"]
    text = visible_text(
        '<p title="a.b">批量公示 publication.batch_published (sampling.inspectiontask 44) Approve and lock</p>'
        "<script>x.y = 1</script><pre>{'draw.approved': 1}</pre><p>python -m sampling.verify record.json a@b.cn</p>"
    )
    assert problems_of(text, msgids) == [
        "code 'publication.batch_published'",
        "code 'sampling.inspectiontask'",
        "object id 'sampling.inspectiontask 44'",
        "untranslated 'Approve and lock'",
    ]


@pytest.mark.slow
def test_every_page_reads_in_words(world):
    msgids = english_msgids()
    failures, pages = [], 0
    for name in url_names():
        kind = kind_of(name)
        states, kwargs = KINDS[kind]
        for state in states:
            url = reverse(name, kwargs=kwargs(world, state))
            for role in ROLES:
                user = world.assigned.get(state) if role == "assigned" else world.users[role]
                if role == "assigned" and user is None:
                    user = world.assigned["locked"]
                response = client_for(world, user).get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
                if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
                    continue
                pages += 1
                html = response.content.decode()
                failures += [f"{name} [{state}] {role}: {p}" for p in problems_of(visible_text(html), msgids)]
    assert pages > 100
    assert sorted(set(failures)) == []

"""Response headers of the security review (item 6): a strict CSP on every page, no-store on everything a
signed-in user is shown, the queue dashboard for superusers only, and bodies over the limit refused unread."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from core.middleware import CONTENT_SECURITY_POLICY

from .matrix import KINDS, client_for, kind_of, url_names

ROOT = Path(settings.BASE_DIR)


def pages(world):
    for name in url_names():
        if kind_of(name) not in KINDS:
            continue
        states, kwargs = KINDS[kind_of(name)]
        for state in states:
            yield name, reverse(name, kwargs=kwargs(world, state))


@pytest.mark.slow
def test_every_response_has_the_csp_and_every_staff_response_is_no_store(world):
    missing_csp, cached = [], []
    for name, url in pages(world):
        for role in ("anonymous", "lead", "registry", "auditor", "admin"):
            response = client_for(world, world.users[role]).get(url)
            csp = response.get("Content-Security-Policy", "")
            if csp != CONTENT_SECURITY_POLICY and not csp.startswith("default-src 'none'"):  # evidence: stricter
                missing_csp.append(f"{name} as {role}")
            public = name.startswith("public:")  # the same page for anyone, may come from the public cache
            if role != "anonymous" and not public and "no-store" not in response.get("Cache-Control", ""):
                cached.append(f"{name} as {role}: {response.status_code} {response.get('Cache-Control')}")
    assert missing_csp == []
    assert cached == []


def test_confidential_downloads_are_no_store(world):
    draw = world.draws["locked"]
    lead = client_for(world, world.users["lead"])
    for name in ("sampling:draw-record-json", "sampling:draw-record-pdf"):
        try:
            url = reverse(name, kwargs={"pk": draw.pk})
        except Exception:
            continue
        response = lead.get(url)
        assert response.status_code == 200, name
        assert response["Cache-Control"] == "no-store, private", name


def test_public_pages_keep_their_caching(world):
    response = Client().get("/public/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
    assert response["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


def test_the_login_page_has_the_csp(client):
    assert client.get("/login/")["Content-Security-Policy"] == CONTENT_SECURITY_POLICY


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
HANDLER = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"\sstyle\s*=", re.IGNORECASE)
JS_URL = re.compile(r"javascript:", re.IGNORECASE)


def html_templates():
    for path in sorted(ROOT.glob("**/templates/**/*.html")):
        if ".venv" in path.parts or "var" in path.parts:
            continue
        yield path


def test_no_template_has_inline_script_handlers_or_styles():
    offenders = []
    for path in html_templates():
        text = path.read_text(encoding="utf-8")
        checks = [INLINE_SCRIPT, HANDLER, JS_URL]
        if not path.name.endswith("_pdf.html"):  # PDFs are rendered by WeasyPrint, never served as a page
            checks.append(STYLE_ATTRIBUTE)
        offenders += [f"{path.relative_to(ROOT)}: {check.pattern}" for check in checks if check.search(text)]
    assert offenders == []


def test_htmx_injects_no_inline_style():
    base = (ROOT / "templates" / "base.html").read_text(encoding="utf-8")
    assert '"includeIndicatorStyles": false' in base


def test_django_rq_is_for_superusers_only(world, django_user_model):
    for role in ("admin", "lead", "other"):
        user = world.users[role]
        user.is_staff = True  # even staff status (django-rq's own check) is not enough
        user.save(update_fields=["is_staff"])
        response = Client().get("/django-rq/")
        assert response.status_code == 302  # anonymous: to the login page
        client = Client()
        client.force_login(user)
        assert client.get("/django-rq/").status_code == 404, role
        assert client.get("/django-rq/queues/0/").status_code == 404, role
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x" * 12)
    client = Client()
    client.force_login(root)
    response = client.get("/django-rq/queues/0/")
    assert response.status_code != 404


def test_a_body_over_the_limit_is_refused_before_it_is_read(world, settings):
    settings.REQUEST_MAX_BYTES = 1000
    client = client_for(world, world.users["registry"])
    response = client.post("/enterprises/import/", data=b"x" * 2000, content_type="application/octet-stream")
    assert response.status_code == 413
    # What the middleware looks at is the declared length: a lie is refused without reading anything.
    response = client.generic("POST", "/inspectors/import/", b"", CONTENT_LENGTH="999999999999")
    assert response.status_code == 413


def test_evidence_uploads_keep_their_larger_limit(settings):
    from django.test import RequestFactory

    from core.middleware import body_limit

    request = RequestFactory().post("/inspections/1/attachments/", data=b"", content_type="text/plain")
    assert body_limit(request) == settings.REQUEST_MAX_BYTES_BY_VIEW["inspections:attachment-add"]
    request = RequestFactory().post("/enterprises/import/", data=b"", content_type="text/plain")
    assert body_limit(request) == settings.REQUEST_MAX_BYTES == settings.IMPORT_MAX_BYTES + 2 * 1024 * 1024


def test_a_chunked_body_is_cut_off_at_the_limit(settings):
    import io

    from django.core.exceptions import RequestDataTooBig

    from core.middleware import _BoundedStream

    stream = _BoundedStream(io.BytesIO(b"x" * 5000), 1000)
    with pytest.raises(RequestDataTooBig):
        stream.read()

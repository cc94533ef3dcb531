"""Two people editing the same row: the fields of an edit form as its page shows them, and the conflict page.

``shown_form(client, url)`` GETs the page and returns the values of the form that carries a version (its
inputs, selects and textareas, as a browser would submit them untouched), so a test opens two forms, changes
each and submits both: the first is saved, the second is refused with the conflict page.
"""

from html.parser import HTMLParser

from django.test import Client


def english_client(user) -> Client:
    """A client logged in as ``user`` that asks for English pages (the conflict pages' words are checked in English)."""
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


class _FormParser(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.current, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = []
            self.forms.append(self.current)
        elif self.current is None:
            return
        elif tag == "input" and attrs.get("name"):
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    self.current.append((attrs["name"], attrs.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self.current.append((attrs["name"], attrs.get("value", "")))
        elif tag == "select":
            self.select = attrs.get("name")
        elif tag == "option" and self.select and "selected" in attrs:
            self.current.append((self.select, attrs.get("value", "")))
        elif tag == "textarea":
            self.textarea = [attrs.get("name"), ""]

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            name, value = self.textarea
            self.current.append((name, value.removeprefix("\n")))
            self.textarea = None


def shown_form(client, url) -> dict:
    """The submitted values of the versioned form of ``url``'s page (a list where a name repeats)."""
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    parser = _FormParser()
    parser.feed(response.content.decode())
    forms = [f for f in parser.forms if any(name == "version" or name.endswith("-version") for name, _ in f)]
    assert len(forms) == 1, f"{len(forms)} versioned forms on {url}"
    data = {}
    for name, value in forms[0]:
        if name == "csrfmiddlewaretoken":
            continue
        if name in data:
            data[name] = [*data[name], value] if isinstance(data[name], list) else [data[name], value]
        else:
            data[name] = value
    assert any(value for name, value in data.items() if name.split("-")[-1] == "version"), "no version"
    return data


def assert_conflict(response, *, typed: dict, changed: list[tuple[str, str, str]], by: str) -> str:
    """The second submission was refused: 409, the message, what the user typed, what changed, and who."""
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this since you opened the form." in body
    for value in typed.values():
        assert value in body, value
    for label, old, new in changed:
        assert f"<td>{label}</td><td>{old}</td><td>{new}</td>" in body, (label, old, new)
    start = body.index('<section class="conflict"')
    section = body[start : body.index("</section>", start)]
    assert section.count("<tr><td>") == len(changed), f"only the fields that changed are listed: {section}"
    assert f"<strong>{by}</strong>" in section
    return body

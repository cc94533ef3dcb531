"""``{{ number|tel }}``: a contact number as a ``tel:`` link (tappable on phones), never broken across lines."""

import re

from django import template
from django.utils.html import format_html

register = template.Library()

# The number a phone can dial: digits, a leading +, separators dropped; an extension (转 / ext / x) is cut off.
_EXTENSION = re.compile(r"(转|分机|ext\.?|x)", re.IGNORECASE)
_DIALABLE = re.compile(r"[^0-9+]")


@register.filter
def tel(value):
    text = str(value or "").strip()
    if not text:
        return ""
    number = _DIALABLE.sub("", _EXTENSION.split(text, maxsplit=1)[0])
    number = number[:1] + number[1:].replace("+", "")
    if sum(c.isdigit() for c in number) < 3:
        return format_html('<span class="keep">{}</span>', text)
    return format_html('<a href="tel:{}" class="keep">{}</a>', number, text)

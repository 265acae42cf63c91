"""The templates (and the pages they render) contain nothing the policy would block:
no inline event handlers, no inline scripts or styles, no javascript: URLs, no htmx
features that evaluate code."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

TEMPLATES_DIR = Path(settings.BASE_DIR) / "templates"

FORBIDDEN = {
    "inline event handler": re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE | re.DOTALL),
    "inline style attribute": re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE | re.DOTALL),
    "inline <style> block": re.compile(r"<style[\s>]", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "hx-on handler": re.compile(r"\shx-on[:\-=]", re.IGNORECASE),
    "htmx js: expression": re.compile(r"hx-(?:vals|headers)\s*=\s*['\"]\s*js:", re.IGNORECASE),
    "htmx trigger filter (eval)": re.compile(r"hx-trigger\s*=\s*\"[^\"]*\[", re.IGNORECASE),
}
SCRIPT_TAG = re.compile(r"<script\b([^>]*)>", re.IGNORECASE)


def _problems(text: str) -> list[str]:
    found = [name for name, pattern in FORBIDDEN.items() if pattern.search(text)]
    for attributes in SCRIPT_TAG.findall(text):
        if "src=" not in attributes and "nonce=" not in attributes:
            found.append(f"inline <script{attributes}> without a nonce")
    return found


def _templates() -> list[Path]:
    # E-mails are not pages: the policy does not apply to them.
    return sorted(p for p in TEMPLATES_DIR.rglob("*.html")
                  if "emails" not in p.relative_to(TEMPLATES_DIR).parts)


def test_it_finds_the_templates():
    assert len(_templates()) > 10


@pytest.mark.parametrize("path", _templates(), ids=lambda p: str(p.relative_to(TEMPLATES_DIR)))
def test_it_keeps_the_template_free_of_inline_code(path):
    assert _problems(path.read_text(encoding="utf-8")) == []


def test_it_recognises_what_the_policy_would_block():
    assert _problems('<button onclick="go()">') == ["inline event handler"]
    assert _problems('<p style="color: red">') == ["inline style attribute"]
    assert _problems("<script>alert(1)</script>") == ["inline <script> without a nonce"]
    assert _problems('<script nonce="{{ csp_nonce }}">x()</script>') == []
    assert _problems('<div hx-on:click="x()">') == ["hx-on handler"]


@pytest.mark.parametrize("name", ["dashboard", "partners:list", "partners:new", "leads:list",
                                  "leads:new", "unrouted", "matching:policy",
                                  "feedback:overview"])
def test_it_renders_manager_pages_free_of_inline_code(client_a, name):
    response = client_a.get(reverse(name))
    assert response.status_code == 200
    assert _problems(response.text) == []


def test_it_renders_the_login_page_free_of_inline_code(client):
    assert _problems(client.get(reverse("login")).text) == []

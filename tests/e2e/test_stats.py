"""The analyst dashboard (web/stats.html) in Chromium against the local stack.

Statistics are produced through the real pipeline: directory lookups through the API publish LookupPerformed
events, the local stack's analytics worker aggregates them, and the tests wait until GET /stats shows them.
"""

from __future__ import annotations

import json
import re
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, Stack, assert_accessible, screenshot, sign_in

# Lookups per category in region 02: two visible counts, one under the threshold (5) and its complement.
FOOD, HOUSING, INCOME, DISABILITY = (
    "0d05521e-0263-5540-bedb-09a4192a8bda",
    "1c22a9d9-8e14-5f4c-8338-a1096a690b6f",
    "a3107fdf-41ca-58bd-b896-2074b6ce1841",
    "960dd104-0bbd-5862-8783-79b9cb0d0475",
)
SEEDED = {FOOD: 8, HOUSING: 6, INCOME: 5, DISABILITY: 2}


def _token(stack: Stack, role: str, *regions: str) -> str:
    from shared.config import Settings
    from shared.identity import issue_dev_token

    return issue_dev_token(
        Settings(dev_key_path=stack.key_path), roles=[role], regions=regions, username="e2e-stats"
    )


def _get(stack: Stack, path: str, token: str, lang: str = "fr") -> Any:
    request = urllib.request.Request(
        f"{stack.api}{path}", headers={"Authorization": f"Bearer {token}", "Accept-Language": lang}
    )
    with urllib.request.urlopen(request, timeout=30) as answer:
        return json.loads(answer.read())


@dataclass(frozen=True)
class StatsData:
    stack: Stack
    analyst: str  # token: analyst of region 02
    today: date

    def url(self, **query: str) -> str:
        base = {
            "table": "lookups_by_category",
            "region": "02",
            "from": f"{self.today.year}-01-01",
            "to": self.today.isoformat(),
            "granularity": "month",
            "by": "category",
            "measure": "lookups",
        }
        return self.stack.url("stats.html", **{**base, **query})

    def answer(self, lang: str = "fr", **query: str) -> Any:
        from urllib.parse import urlencode

        asked = {
            "region": "02",
            "from": f"{self.today.year}-01-01",
            "to": self.today.isoformat(),
            "granularity": "month",
            "group_by": "category",
            **query,
        }
        return _get(self.stack, "/stats/lookups_by_category?" + urlencode(asked), self.analyst, lang)


@pytest.fixture(scope="session")
def stats_data(stack: Stack) -> Iterator[StatsData]:
    """GIVEN lookups performed through the directory API in region 02, counted by the analytics worker."""
    analyst = _token(stack, "analyst", "02")
    today = datetime.now(ZoneInfo("America/Montreal")).date()
    urls = [
        f"{stack.api}/service_at_locations?region=02&taxonomy_term_id={term}&per_page=1"
        for term, times in SEEDED.items()
        for _ in range(times)
    ]
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda url: urllib.request.urlopen(url, timeout=30).status, urls))
    assert statuses == [200] * len(urls)
    deadline = time.monotonic() + 90
    while True:
        totals = _get(
            stack, f"/stats/requests?region=02&granularity=year&group_by=&from={today.year}", analyst
        )
        by_category = _get(
            stack, f"/stats/lookups_by_category?region=02&group_by=category&from={today.year}", analyst
        )
        counted = sum(row["lookups"] or 0 for row in totals["rows"])
        food = next((row["lookups"] for row in by_category["rows"] if row.get("category_code") == FOOD), None)
        if counted >= sum(SEEDED.values()) and (food or 0) >= SEEDED[FOOD]:
            break
        assert time.monotonic() < deadline, f"the analytics worker did not count the lookups: {totals}"
        time.sleep(0.5)
    yield StatsData(stack=stack, analyst=analyst, today=today)


def _show(page: Any, data: StatsData, **query: str) -> None:
    page.goto(data.url(**query))
    sign_in(page, data.analyst)
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", "true")


def _months(data: StatsData) -> int:
    return data.today.month  # January to the current month


def _table_rows(page: Any) -> list[list[str]]:
    return [
        [cell.strip().split("\n")[0] for cell in row.locator("td").all_inner_texts()]
        for row in page.locator("#stats-table-data tbody tr").all()
    ]


# ---- sign-in ----------------------------------------------------------------------------------------------


def test_a_region_admin_is_refused_and_an_analyst_signs_in(page: Any, stats_data: StatsData) -> None:
    # GIVEN the dashboard
    page.goto(stats_data.stack.url("stats.html"))
    # WHEN a region admin signs in
    sign_in(page, _token(stats_data.stack, "region-admin", "02"))
    # THEN the page says the role has no access and asks again
    expect(page.get_by_role("alert")).to_have_text("Votre rôle ne donne pas accès à cette page.")
    expect(page.get_by_label("Jeton d'accès")).to_be_visible()
    assert_accessible(page, context="(sign-in refused)")
    # WHEN an analyst of region 02 signs in
    sign_in(page, stats_data.analyst)
    # THEN the form offers the tables, and the first answer is drawn
    expect(page.get_by_text("Connecté : e2e-stats (analyst; régions 02)")).to_be_visible()
    expect(page.get_by_role("heading", name="Choisir les données")).to_be_visible()
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", re.compile("true|empty"))
    assert page.js_errors == []


# ---- charts and table -----------------------------------------------------------------------------------


def test_the_form_draws_the_trend_the_breakdown_and_the_table_with_suppressed_cells(
    page: Any, stats_data: StatsData
) -> None:
    # GIVEN a signed-in analyst of region 02
    page.goto(stats_data.stack.url("stats.html"))
    sign_in(page, stats_data.analyst)
    expect(page.get_by_label("Tableau", exact=True)).to_be_visible()
    # WHEN they pick the table, the region and the period in the form
    page.get_by_label("Tableau", exact=True).select_option(label="Recherches par catégorie")
    page.get_by_label("Région", exact=True).select_option("02")
    page.get_by_label("Du", exact=True).fill(f"{stats_data.today.year}-01-01")
    page.get_by_label("Au", exact=True).fill(stats_data.today.isoformat())
    page.get_by_label("Regrouper par", exact=True).select_option("month")
    page.get_by_label("Répartition selon", exact=True).select_option("category")
    page.get_by_role("button", name="Afficher").click()
    results = page.locator("#stats-results")
    expect(results).to_have_attribute("data-ready", "true")
    expect(page.locator(".stats-summary")).to_contain_text("Recherches par catégorie")
    # THEN the trend has one point per month, drawn by Chart.js (no suppressed month: the totals are large)
    trend = page.locator("canvas#stats-trend-chart")
    expect(trend).to_have_attribute("role", "img")
    expect(trend).to_have_attribute("data-points", str(_months(stats_data)))
    expect(trend).to_have_attribute("aria-label", re.compile(r"Graphique linéaire : Recherches.*par mois"))
    # AND the breakdown has one bar per category; suppressed ones are not drawn (not as 0) but marked
    expected = stats_data.answer()
    this_month = [row for row in expected["rows"] if row["period"] == stats_data.today.strftime("%Y-%m")]
    hidden = [row for row in this_month if row["lookups"] is None]
    breakdown = page.locator("canvas#stats-breakdown-chart")
    expect(breakdown).to_have_attribute("data-categories", str(len({r["category"] for r in this_month})))
    expect(breakdown).to_have_attribute("data-suppressed", str(len(hidden)))
    expect(breakdown).to_have_attribute("data-points", str(len(this_month) - len(hidden)))
    assert {r["category_code"] for r in hidden} >= {DISABILITY}, "2 lookups are under the threshold"
    # AND the table shows the API's counts, suppressed cells marked x with a legend
    rows = {cells[1]: cells for cells in _table_rows(page)}  # period, category, lookups...
    for row in this_month:
        shown = rows[row["category"]][2]
        assert shown == ("x" if row["lookups"] is None else str(row["lookups"]))
    assert rows["Alimentation"][2] == str(
        next(r["lookups"] for r in this_month if r["category_code"] == FOOD)
    )
    expect(page.locator("td.suppressed").first).to_contain_text("supprimée")
    expect(page.locator("#stats-legend")).to_contain_text("effectif de moins de 5")
    expect(page.locator("#stats-status")).to_contain_text("ligne(s)")
    assert "table=lookups_by_category" in page.url and "by=category" in page.url
    assert_accessible(page, context="(results, French)")
    screenshot(page, "stats-desktop-fr")
    assert page.js_errors == []


def test_a_period_without_data_says_so(page: Any, stats_data: StatsData) -> None:
    # GIVEN a period long before any statistic
    # WHEN the analyst asks for it
    page.goto(stats_data.url(**{"from": "2019-01-01", "to": "2019-12-31"}))
    sign_in(page, stats_data.analyst)
    # THEN the page says there is nothing, and draws no chart
    expect(page.locator("#stats-empty")).to_have_text(re.compile("Aucune donnée pour cette période"))
    expect(page.locator("canvas")).to_have_count(0)
    assert page.js_errors == []


# ---- CSV ---------------------------------------------------------------------------------------------------


def test_the_csv_downloads_with_a_bom_the_chosen_separator_and_french_headers(
    page: Any, stats_data: StatsData
) -> None:
    # GIVEN the table on screen
    _show(page, stats_data)
    # WHEN the analyst downloads the CSV (semicolon, the default)
    with page.expect_download() as semicolon:
        page.get_by_role("button", name="Télécharger le CSV").click()
    # THEN the file is the API's: UTF-8 BOM, ";", French headers, suppressed cells "x"
    content = open(semicolon.value.path(), "rb").read()
    assert content.startswith(b"\xef\xbb\xbf")
    assert semicolon.value.suggested_filename.startswith("lookups_by_category_")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Période;Région;Nom de la région;Catégorie;")
    assert any(";x;" in line or line.endswith(";x") for line in lines[1:])
    expect(page.locator("#stats-csv-status")).to_contain_text("Fichier prêt")
    # WHEN they choose the comma
    page.get_by_label("Séparateur").select_option(",")
    with page.expect_download() as comma:
        page.get_by_role("button", name="Télécharger le CSV").click()
    # THEN the file uses it
    header = open(comma.value.path(), "rb").read().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Période,Région,Nom de la région,Catégorie,")
    assert "sep=%2C" in page.url
    assert page.js_errors == []


# ---- English --------------------------------------------------------------------------------------------------


def test_switching_to_english_keeps_the_choice_and_translates_labels_headers_and_csv(
    page: Any, stats_data: StatsData
) -> None:
    # GIVEN the table on screen, in French
    _show(page, stats_data)
    # WHEN the analyst follows the language link
    page.get_by_role("link", name="View this page in English").click()
    # THEN the same choice is shown in English (the token is kept for the tab)
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", "true")
    expect(page.get_by_role("heading", name="Analyst dashboard")).to_be_visible()
    expect(page.get_by_label("Table", exact=True)).to_have_value("lookups_by_category")
    expect(page.locator("#stats-table-data thead th")).to_have_text(
        ["Period", "Category", "Lookups", "Without results", "Share (%)"]
    )
    expect(page.locator("#stats-table-data")).to_contain_text("Food")
    expect(page.locator("#stats-legend")).to_contain_text("Suppressed cells")
    expect(page.locator("canvas#stats-trend-chart")).to_have_attribute(
        "aria-label", re.compile("^Line chart: Lookups")
    )
    with page.expect_download() as download:
        page.get_by_role("button", name="Download the CSV").click()
    header = open(download.value.path(), "rb").read().decode("utf-8-sig").splitlines()[0]
    assert header.startswith("Period;Region;Region name;Category;")
    assert_accessible(page, context="(results, English)")
    screenshot(page, "stats-desktop-en")
    assert page.js_errors == []


# ---- scope and errors ---------------------------------------------------------------------------------------


def test_an_analyst_of_region_02_cannot_read_region_06(page: Any, stats_data: StatsData) -> None:
    # GIVEN an analyst scoped to region 02
    _show(page, stats_data)
    # THEN the form offers only their region
    regions = page.get_by_label("Région", exact=True).locator("option")
    expect(regions).to_have_count(1)
    expect(regions).to_have_attribute("value", "02")
    # WHEN they edit the URL by hand to ask for region 06
    page.goto(stats_data.url(region="06"))
    # THEN the API's refusal is shown next to the form, and no data
    problem = page.locator("#stats-form-problem [role=alert]")
    expect(problem).to_contain_text("Ces régions sont hors de votre périmètre : 06.")
    expect(page.locator("#stats-results canvas")).to_have_count(0)
    assert_accessible(page, context="(403 shown)")
    assert page.js_errors == []


def test_a_bad_request_shows_the_api_message_next_to_the_form(page: Any, stats_data: StatsData) -> None:
    # GIVEN a hand-edited URL asking a monthly table by day
    page.goto(stats_data.url(table="needs", granularity="day", by=""))
    sign_in(page, stats_data.analyst)
    # THEN the API's 400 is shown in the page's language
    expect(page.locator("#stats-form-problem [role=alert]")).to_contain_text(
        "Granularité trop fine pour cette table"
    )
    # WHEN the start date comes after the end date
    page.get_by_label("Du", exact=True).fill("2026-06-01")
    page.get_by_label("Au", exact=True).fill("2026-05-01")
    page.get_by_role("button", name="Afficher").click()
    # THEN the form says so
    expect(page.locator("#stats-form-problem [role=alert]")).to_have_text(
        "La date de début doit précéder la date de fin."
    )
    assert page.js_errors == []


def test_the_api_down_shows_the_problem_with_a_retry(page: Any, stats_data: StatsData) -> None:
    # GIVEN the table on screen
    _show(page, stats_data)
    # WHEN the API stops answering and the analyst asks again
    page.route(stats_data.stack.api + "/stats/**", lambda route: route.abort())
    page.get_by_role("button", name="Afficher").click()
    # THEN the problem is shown next to the form, with a retry, never a blank page
    problem = page.locator("#stats-form-problem [role=alert]")
    expect(problem).to_contain_text("Le service est momentanément indisponible")
    expect(page.get_by_role("heading", name="Choisir les données")).to_be_visible()
    assert_accessible(page, context="(API down)")
    # WHEN the API is back and they retry
    page.unroute(stats_data.stack.api + "/stats/**")
    problem.get_by_role("button", name="Réessayer").click()
    # THEN the data is back
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", "true")
    expect(problem).to_have_count(0)
    assert page.js_errors == []


def test_the_api_down_at_sign_in_shows_the_problem_with_a_retry(page: Any, stats_data: StatsData) -> None:
    # GIVEN the API unreachable
    page.route(stats_data.stack.api + "/**", lambda route: route.abort())
    page.goto(stats_data.url())
    # WHEN the analyst signs in
    sign_in(page, stats_data.analyst)
    # THEN the problem is shown with a retry
    expect(page.get_by_role("alert")).to_contain_text("Le service est momentanément indisponible")
    # WHEN the API is back
    page.unroute(stats_data.stack.api + "/**")
    page.get_by_role("button", name="Réessayer").click()
    # THEN the dashboard opens
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", "true")
    assert page.js_errors == []


# ---- keyboard and phone ---------------------------------------------------------------------------------------


def _tab_to(page: Any, selector: str, limit: int = 25) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.locator(f"{selector}:focus").count():
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_whole_flow_works_with_the_keyboard_only(page: Any, stats_data: StatsData) -> None:
    # GIVEN the dashboard, where the token field has the focus
    page.goto(stats_data.stack.url("stats.html"))
    expect(page.get_by_label("Jeton d'accès")).to_be_focused()
    # WHEN the analyst types the token and submits with the keyboard
    page.keyboard.insert_text(stats_data.analyst)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", re.compile("true|empty"))
    # AND picks the table with the arrow keys, goes to the button with Tab and presses Enter
    _tab_to(page, "#stats-table")
    for _ in range(6):
        if page.locator("#stats-table").input_value() == "lookups_by_category":
            break
        page.keyboard.press("ArrowDown")
    expect(page.locator("#stats-table")).to_have_value("lookups_by_category")
    _tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")
    # THEN the table is drawn
    expect(page.locator("#stats-results")).to_have_attribute("data-ready", "true")
    expect(page.locator("#stats-table-data")).to_contain_text("Alimentation")
    # AND the table can be scrolled from the keyboard, and the CSV downloaded with Enter
    _tab_to(page, ".table-wrap")
    _tab_to(page, "#stats-csv-button")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert download.value.suggested_filename.endswith(".csv")
    assert page.js_errors == []


def test_the_dashboard_fits_a_phone(phone_page: Any, stats_data: StatsData) -> None:
    # GIVEN a phone
    # WHEN the analyst opens the dashboard
    _show(phone_page, stats_data)
    # THEN nothing is wider than the screen but the table, which scrolls in its own box
    expect(phone_page.locator("canvas#stats-breakdown-chart")).to_be_visible()
    width = phone_page.locator("main").bounding_box()["width"]
    assert width <= PHONE["width"]
    assert phone_page.locator("#stats-table-data").bounding_box() is not None
    assert_accessible(phone_page, context="(phone)")
    screenshot(phone_page, "stats-phone-fr")
    assert phone_page.js_errors == []

"""The public directory (index.html) and the service page (service.html), as a person uses them.

Counts are compared with the API's own answers for the same query (the sample directory is deterministic, but
"open now" depends on the hour the test runs).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, Stack, api_get, assert_accessible, screenshot

FOOD = {"search": "aide alimentaire", "region": "02"}
ALMA = {"latitude": 48.55, "longitude": -71.65}


def total(stack: Stack, **query: str) -> int:
    return int(api_get(stack, "/service_at_locations?" + urlencode({**query, "per_page": 1}))["total_items"])


def count_text(count: int, lang: str = "fr") -> str:
    if count == 0:
        return "Aucun résultat" if lang == "fr" else "No results"
    if count == 1:
        return "1 résultat" if lang == "fr" else "1 result"
    return f"{count} résultats" if lang == "fr" else f"{count} results"


def wait_for_results(page: Any) -> None:
    expect(page.locator("#status")).to_have_text(re.compile(r"\d+ r[ée]sults?|Aucun|No results|1 r"))
    expect(page.locator("#results")).not_to_have_attribute("aria-busy", "true")


def query_of(page: Any) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlparse(page.url).query).items()}


def test_search_then_filters_change_the_results(stack: Stack, page: Any) -> None:
    # GIVEN a person in Saguenay–Lac-Saint-Jean who needs food
    page.goto(stack.url("index.html"))
    expect(page.get_by_role("heading", name="Parcourir par catégorie")).to_be_visible()
    # WHEN they type their need, pick their region and press Enter
    page.get_by_label("Région").select_option("02")
    box = page.get_by_label("De quoi avez-vous besoin ?")
    box.fill("aide alimentaire")
    box.press("Enter")
    # THEN the live status announces as many results as the API has, each with hours and a phone that dials
    everything = total(stack, **FOOD)
    assert everything > 0
    expect(page.get_by_role("status")).to_have_text(count_text(everything))
    first = page.locator("ol.results > li").first
    expect(first.locator(".badge").first).to_have_text(re.compile(r"Ouvert|Fermé|Heures"))
    expect(first.locator("a[href^='tel:+1']").first).to_be_visible()
    assert query_of(page).items() >= {"search": "aide alimentaire", "region": "02", "lang": "fr"}.items()
    # WHEN they keep only the free services
    page.get_by_label("Gratuit").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    # THEN the results are the API's free ones: fewer than before
    free = total(stack, **FOOD, free="true")
    assert 0 < free < everything
    expect(page.get_by_role("status")).to_have_text(count_text(free))
    assert query_of(page).get("free") == "true"
    # WHEN they also ask for what is open now
    page.get_by_label("Ouvert maintenant").check()
    page.get_by_role("button", name="Appliquer les filtres").click()
    expect(page.get_by_role("status")).to_have_text(
        count_text(total(stack, **FOOD, free="true", open_now="true"))
    )
    # AND WHEN they go back, the previous search is back, form included
    page.go_back()
    expect(page.get_by_role("status")).to_have_text(count_text(free))
    expect(page.get_by_label("Ouvert maintenant")).not_to_be_checked()
    expect(page.get_by_label("Gratuit")).to_be_checked()
    assert not page.js_errors


def test_postal_code_shows_distances_and_bad_codes_are_explained(stack: Stack, page: Any) -> None:
    # GIVEN the directory
    page.goto(stack.url("index.html"))
    # WHEN a person types a postal code from outside Québec
    page.get_by_label("De quoi avez-vous besoin ?").fill("aide")
    page.get_by_label("Code postal").fill("M5V 1A1")
    page.get_by_role("button", name="Rechercher").click()
    # THEN the field says why, next to it, and keeps the focus; no search was made
    field = page.get_by_label("Code postal")
    expect(page.locator("#postcode-error")).to_contain_text("G, H ou J")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    assert "postcode" not in page.url
    # WHEN they type their own postal code in Alma
    field.fill("g8b 1l9")
    page.get_by_role("button", name="Rechercher").click()
    # THEN the results show how far each service is
    wait_for_results(page)
    assert query_of(page)["postcode"] == "G8B 1L9"
    expect(page.locator("ol.results .distance").first).to_have_text(re.compile(r"à \d[\d,\s]* (m|km)"))
    expect(page.locator("#postcode-error")).to_be_hidden()
    assert not page.js_errors


def test_server_validation_error_is_shown_next_to_the_field(stack: Stack, page: Any) -> None:
    # GIVEN a shared link with an age the API refuses (422, details[].parameter = "age")
    page.goto(stack.url("index.html", search="aide", age="200"))
    # THEN the age field carries the API's reason, and no stack trace or blank page
    expect(page.locator("#age-error")).to_be_visible()
    expect(page.locator("#age-error")).to_contain_text("trop grande")
    expect(page.get_by_label("Âge de la personne")).to_have_attribute("aria-invalid", "true")
    assert not page.js_errors


def test_empty_results_show_suggestions_that_apply(stack: Stack, page: Any) -> None:
    # GIVEN a search with nothing in Nord-du-Québec
    query = {"search": "banque alimentaire", "region": "10"}
    answer = api_get(stack, "/service_at_locations?" + urlencode(query))
    assert answer["total_items"] == 0 and answer["suggestions"]
    page.goto(stack.url("index.html", **query))
    # THEN the page says so honestly and offers the API's suggestions as links
    expect(page.get_by_role("status")).to_have_text("Aucun résultat : Nord-du-Québec")
    expect(page.get_by_text("Aucun service ne correspond à cette recherche.")).to_be_visible()
    area = next(s for s in answer["suggestions"] if s["type"] == "area")
    link = page.locator(".suggestions a").filter(has_text=area["name"]).first
    expect(link).to_be_visible()
    # WHEN they follow the neighbouring region's suggestion
    link.click()
    # THEN the search runs there, with the same words: the exact answers the suggestion counted, and, when they are
    # few, services of the same family of categories after them (said in a notice)
    there = api_get(stack, "/service_at_locations?" + urlencode({**query, "region": area["region"]}))
    expect(page.get_by_role("status")).to_have_text(count_text(there["total_items"]))
    related = [n for n in there.get("notices", []) if n.get("code") == "related"]
    assert (related[0]["exact"] if related else there["total_items"]) == area["count"]
    if related:
        expect(page.locator(".notice").filter(has_text="de la même famille")).to_be_visible()
    assert query_of(page)["region"] == area["region"] and query_of(page)["search"] == "banque alimentaire"
    assert not page.js_errors


def test_near_me_uses_the_browser_location(stack: Stack, new_page: Any) -> None:
    # GIVEN a person in Alma who lets the page know where they are
    page = new_page(PHONE, geolocation=ALMA, permissions=["geolocation"], is_mobile=True, has_touch=True)
    page.goto(stack.url("index.html", search="aide alimentaire"))
    wait_for_results(page)
    # WHEN they open the filters and ask for services near them
    page.locator("summary", has_text="Filtres").click()  # closed on a phone
    page.get_by_role("button", name="Près de moi").click()
    # THEN the results are sorted by distance from them, with distances shown
    expect(page.locator("#near-status")).to_contain_text("Près de votre position")
    wait_for_results(page)
    query = query_of(page)
    assert query["lat"] == "48.550" and query["lng"] == "-71.650" and query["sort"] == "distance"
    distances = page.locator("ol.results .distance")
    expect(distances.first).to_have_text(re.compile(r"à \d"))
    assert distances.count() >= 2
    assert not page.js_errors


def test_switching_language_keeps_the_search(stack: Stack, page: Any) -> None:
    # GIVEN French results for a food search in a region
    page.goto(stack.url("index.html", **FOOD))
    wait_for_results(page)
    expected = total(stack, **FOOD)
    # WHEN the person switches to English
    page.get_by_role("link", name="English").click()
    # THEN the same search is shown in English
    expect(page.locator("html")).to_have_attribute("lang", "en-CA")
    expect(page.get_by_role("status")).to_have_text(count_text(expected, "en"))
    expect(page.get_by_label("What do you need?")).to_have_value("aide alimentaire")
    expect(page.get_by_role("heading", level=1)).to_have_text("Find help")
    expect(page.get_by_role("button", name="Search", exact=True)).to_be_visible()
    assert query_of(page).items() >= {"search": "aide alimentaire", "region": "02", "lang": "en"}.items()
    screenshot(page, "directory-desktop-en")
    assert not page.js_errors


def test_service_page_opens_from_a_result(stack: Stack, page: Any) -> None:
    # GIVEN food results
    page.goto(stack.url("index.html", **FOOD))
    wait_for_results(page)
    name = page.locator("ol.results h3 a").first.inner_text()
    # WHEN the person opens the first one
    page.locator("ol.results h3 a").first.click()
    # THEN its page shows the service, phones that dial, hours per day, its address and the 211 line
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("a[href^='tel:+1']").first).to_be_visible()
    expect(page.get_by_role("heading", name="Heures d'ouverture")).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile("lundi"))).to_be_visible()
    expect(page.get_by_role("heading", name="Où")).to_be_visible()
    expect(page.get_by_role("link", name="Composer le 211")).to_have_attribute("href", "tel:211")
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()  # wide screen: the map is shown
    # WHEN they go back to the results
    page.get_by_role("link", name="Retour aux résultats").click()
    expect(page.get_by_role("status")).to_have_text(count_text(total(stack, **FOOD)))
    assert not page.js_errors


def test_unknown_service_says_so(stack: Stack, page: Any) -> None:
    page.goto(stack.url("service.html", id="00000000-0000-4000-8000-000000000000"))
    expect(page.get_by_role("alert")).to_contain_text("n'est plus dans le répertoire")
    expect(page.get_by_role("link", name="Chercher un service")).to_be_visible()


def test_api_down_shows_the_problem_and_retry_works(stack: Stack, page: Any) -> None:
    # GIVEN the API cannot be reached
    page.route(f"{stack.api}/**", lambda route: route.abort())
    page.goto(stack.url("index.html", **FOOD))
    # THEN the page says so, with the 211 number and a retry button: no blank page
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("211")
    expect(page.get_by_label("De quoi avez-vous besoin ?")).to_have_value("aide alimentaire")
    # WHEN the API is back and they retry
    page.unroute(f"{stack.api}/**")
    page.get_by_role("button", name="Réessayer").click()
    # THEN the results appear, and the categories too
    expect(page.get_by_role("status")).to_have_text(count_text(total(stack, **FOOD)))
    expect(page.get_by_label("Catégorie").locator("option")).to_have_count(18)
    assert not page.js_errors


def test_service_page_with_the_api_down(stack: Stack, page: Any) -> None:
    answer = api_get(stack, "/service_at_locations?" + urlencode({**FOOD, "per_page": 1}))
    page.route(f"{stack.api}/**", lambda route: route.abort())
    page.goto(stack.url("service.html", id=answer["contents"][0]["id"]))
    expect(page.get_by_role("alert")).to_contain_text("211")
    page.unroute(f"{stack.api}/**")
    page.get_by_role("button", name="Réessayer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(answer["contents"][0]["service"]["name"])


def test_keyboard_only_search(stack: Stack, page: Any) -> None:
    # GIVEN a person who uses only the keyboard
    page.goto(stack.url("index.html"))
    expect(page.get_by_role("heading", name="Parcourir par catégorie")).to_be_visible()
    # WHEN they Tab to the search box, type and press Enter
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "search":
            break
    assert page.evaluate("document.activeElement.id") == "search"
    page.keyboard.type("banque alimentaire")
    page.keyboard.press("Enter")
    wait_for_results(page)
    # THEN Tab reaches the first result, with a visible focus
    for _ in range(80):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "result-0":
            break
    assert page.evaluate("document.activeElement.id") == "result-0"
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    # AND Enter opens the service
    page.keyboard.press("Enter")
    expect(page.locator("a[href^='tel:']").first).to_be_visible()


def test_directory_and_service_are_accessible(stack: Stack, page: Any) -> None:
    # GIVEN results with the map (desktop)
    page.goto(stack.url("index.html", **FOOD))
    wait_for_results(page)
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    # THEN axe finds no serious violation, nor on an empty result with suggestions
    assert_accessible(page, context="on the results page")
    page.goto(stack.url("index.html", search="banque alimentaire", region="10"))
    expect(page.locator(".suggestions")).to_be_visible()
    assert_accessible(page, context="on the empty results page")
    # AND the service page
    page.goto(stack.url("index.html", **FOOD))
    page.locator("ol.results h3 a").first.click()
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    assert_accessible(page, context="on the service page")


def test_phone_screenshots(stack: Stack, phone_page: Any) -> None:
    page = phone_page
    # GIVEN a phone: results without the map first (light), the map on request
    page.goto(stack.url("index.html", **FOOD))
    wait_for_results(page)
    expect(page.locator("#map-box")).to_be_hidden()
    assert page.evaluate("typeof window.L") == "undefined"  # Leaflet not loaded until asked for
    screenshot(page, "directory-phone-fr")
    page.get_by_role("button", name="Voir la carte").click()
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    expect(page.get_by_role("button", name="Masquer la carte")).to_have_attribute("aria-expanded", "true")
    screenshot(page, "directory-phone-fr-map")
    # AND a service page on the phone
    page.locator("ol.results h3 a").first.click()
    expect(page.locator("a[href^='tel:+1']").first).to_be_visible()
    expect(page.get_by_role("heading", name="Parler à quelqu'un")).to_be_visible()
    screenshot(page, "service-phone-fr")
    assert not page.js_errors


def test_service_desktop_english_screenshot(stack: Stack, page: Any) -> None:
    answer = api_get(stack, "/service_at_locations?" + urlencode({**FOOD, "per_page": 1}))
    page.goto(stack.url("service.html", id=answer["contents"][0]["id"], lang="en"))
    expect(page.get_by_role("heading", name="Opening hours")).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile("Monday"))).to_be_visible()
    expect(page.locator(".leaflet-marker-icon").first).to_be_visible()
    expect(page.get_by_role("heading", name="Talk to someone")).to_be_visible()
    screenshot(page, "service-desktop-en")
    assert not page.js_errors


def test_opening_hours_are_read_in_montreal_time(stack: Stack, page: Any) -> None:
    # GIVEN the page's hours logic (listing.js) and a weekday schedule, split hours, a late night and a closure
    page.goto(stack.url("index.html"))
    expect(page.get_by_role("heading", name="Parcourir par catégorie")).to_be_visible()
    results = page.evaluate(
        """async () => {
        const m = await import('./assets/js/listing.js');
        const week = [{freq: 'WEEKLY', byday: 'MO,TU,WE,TH,FR', opens_at: '08:30', closes_at: '12:00'},
                      {freq: 'WEEKLY', byday: 'MO,TU,WE,TH,FR', opens_at: '13:00', closes_at: '17:00'}];
        const night = [{freq: 'WEEKLY', byday: 'FR', opens_at: '22:00', closes_at: '02:00'}];
        const holidays = [...week, {valid_from: '2026-12-24', valid_to: '2027-01-03', description: 'Fêtes'}];
        // 2026-11-23 is a Monday; Montréal is UTC-5 in November
        const at = (iso) => new Date(iso);
        return {
          morning: m.openState(week, at('2026-11-23T14:00:00Z')),
          lunch: m.openState(week, at('2026-11-23T17:30:00Z')),
          friday_evening: m.openState(week, at('2026-11-27T23:00:00Z')),
          after_midnight: m.openState(night, at('2026-11-28T06:30:00Z')),
          holidays: m.openState(holidays, at('2026-12-28T15:00:00Z')),
          none: m.openState([], at('2026-11-23T14:00:00Z')),
          tel: m.telHref('418 555-0145'),
        };
    }"""
    )
    # THEN each reads as a person expects
    assert results["morning"] == {"kind": "open", "text": "Ouvert maintenant · ferme à 12 h"}
    assert results["lunch"] == {"kind": "closed", "text": "Fermé · ouvre aujourd'hui à 13 h"}
    assert results["friday_evening"] == {"kind": "closed", "text": "Fermé · ouvre lundi à 8 h 30"}
    assert results["after_midnight"] == {"kind": "open", "text": "Ouvert maintenant · ferme à 2 h"}
    assert results["holidays"] == {"kind": "closed", "text": "Fermé · ouvre lundi à 8 h 30"}
    assert results["none"]["kind"] == "unknown"
    assert results["tel"] == "tel:+14185550145"


def test_a_search_on_a_phone_loads_little_and_no_map_library_until_asked(stack: Stack, phone_page: Any) -> None:
    # GIVEN a person on a cheap phone who searches for food help
    loaded: list[Any] = []
    phone_page.on("requestfinished", lambda request: loaded.append(request))
    phone_page.goto(stack.url("index.html", **FOOD))
    wait_for_results(phone_page)
    # THEN the page's own files (HTML, CSS, JS) weigh under 100 KB before compression, and no map library loads
    own = [r for r in loaded if r.url.startswith(stack.web)]
    weight = sum(r.sizes()["responseBodySize"] for r in own)
    print(f"directory page on a phone: {weight} bytes in {len(own)} files")
    assert weight < 100_000, f"{weight} bytes: {[r.url for r in own]}"
    assert not [r for r in loaded if "leaflet" in r.url]
    # WHEN they ask for the map THEN Leaflet loads, once
    phone_page.get_by_role("button", name=re.compile("carte", re.I)).first.click()
    expect(phone_page.locator(".leaflet-container")).to_be_visible()
    assert len([r for r in loaded if r.url.endswith("leaflet.js")]) == 1

"""The admin console (web/admin.html): sign-in, batch upload with dry run, confirm, follow to applied, row errors
in French and English, scope refusal, a listing's history and restore, keyboard-only use, accessibility."""

from __future__ import annotations

import json
import re
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from playwright.sync_api import expect

from tests.e2e.conftest import Stack, api_get, assert_accessible, screenshot, sign_in

HEADERS = (
    "identifiant;organisme;service;description;categories;adresse;ville;code_postal;latitude;longitude;"
    "telephone;heures;region"
)


def csv_file(directory: Path, name: str, rows: list[str], headers: str = HEADERS) -> Path:
    """A CSV template file (documented French headers, ';' separator, UTF-8) in a temporary directory."""
    path = directory / name
    path.write_text("\n".join([headers, *rows]) + "\n", encoding="utf-8")
    return path


def row(
    ident: str,
    service: str,
    *,
    description: str = "Repas chauds livrés aux aînés.",
    category: str = "FOOD-MOW",
    postal: str = "G8B 1L9",
    phone: str = "418 555-0142",
    region: str = "02",
) -> str:
    return (
        f"{ident};Centre d'action bénévole d'Alma;{service};{description};{category};100, rue Sacré-Cœur Ouest;"
        f"Alma;{postal};48,5502;-71,6521;{phone};lun-ven 8h30-16h30;{region}"
    )


def open_admin(page: Any, stack: Stack, token: str, **query: str) -> None:
    page.goto(stack.url("admin.html", **query))
    sign_in(page, token)
    expect(page.locator(".signed-in")).to_be_visible()


def check(page: Any, path: Path) -> None:
    page.get_by_label("Fichier du lot").or_(page.get_by_label("Batch file")).set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier (aperçu)").or_(
        page.get_by_role("button", name="Check the file (preview)")
    ).click()


def api_post(stack: Stack, path: str, token: str, body: bytes, content_type: str) -> Any:
    request = urllib.request.Request(
        f"{stack.api}{path}",
        data=body,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": content_type},
    )
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def eventually(probe: Any, timeout: float = 90.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(1)


# ---- sign-in -----------------------------------------------------------------------------------------------


def test_sign_in_refuses_a_bad_token_and_an_analyst_then_lets_a_region_admin_in(
    stack: Stack, page: Any, phone_page: Any, token_for: Any
) -> None:
    # GIVEN the admin console, signed out
    page.goto(stack.url("admin.html"))
    expect(page.get_by_role("heading", name="Connexion")).to_be_visible()
    assert_accessible(page, context="(sign-in form)")
    # WHEN someone signs in with a token that is not one
    sign_in(page, "not-a-token")
    # THEN they are told it is not valid, and stay on the form
    expect(page.get_by_role("alert")).to_contain_text("Ce jeton n'est pas valide")
    # WHEN an analyst signs in
    sign_in(page, token_for("analyst", "02"))
    # THEN they are told their role gives no access
    expect(page.get_by_role("alert")).to_contain_text("Votre rôle ne donne pas accès à cette page.")
    assert_accessible(page, context="(sign-in refused)")
    # WHEN the region-admin of 02 signs in
    sign_in(page, token_for("region-admin", "02", username="admin-02"))
    # THEN the console says who is signed in and offers only region 02
    expect(page.locator(".signed-in")).to_contain_text("admin-02")
    expect(page.locator(".signed-in")).to_contain_text("régions 02")
    expect(page.get_by_role("heading", name="Téléverser un lot de fiches")).to_be_visible()
    assert page.locator("#batch-region option").all_inner_texts() == ["02"]
    expect(page.get_by_role("heading", name="Lots récents de la région 02")).to_be_visible()
    assert_accessible(page, context="(signed in)")
    # AND on a phone the same form fits the screen
    open_admin(phone_page, stack, token_for("region-admin", "02", username="admin-02"))
    expect(phone_page.get_by_role("heading", name="Téléverser un lot de fiches")).to_be_visible()
    width = phone_page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 390, f"the phone page scrolls sideways ({width}px)"
    screenshot(phone_page, "admin-phone-fr")
    assert not page.js_errors and not phone_page.js_errors


# ---- a valid batch: dry run, confirm, applied, searchable ---------------------------------------------------


def test_a_valid_csv_is_previewed_confirmed_once_and_applied_then_searchable(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN a region-admin of 02 and a CSV template file with a new listing
    word = f"Zorbalune{uuid.uuid4().hex[:6]}"
    path = csv_file(tmp_path, "nouvelles-fiches.csv", [row(f"E2E-{word}", f"Popote {word}")])
    open_admin(page, stack, token_for("region-admin", "02"))
    posts: list[Any] = []
    page.on(
        "request", lambda r: posts.append(r) if r.method == "POST" and "/admin/batches" in r.url else None
    )
    # WHEN they check the file
    check(page, path)
    # THEN the dry run shows the counts and the change, and nothing is applied yet
    expect(page.get_by_role("heading", name="Aperçu du lot")).to_be_visible()
    expect(page.locator("#batch-status")).to_have_text("Statut : Vérifié (aperçu, rien n'est modifié)")
    expect(page.locator("[data-count=created] dd")).to_have_text("1")
    expect(page.locator("[data-count=received] dd")).to_have_text("1")
    expect(page.locator(".admin-changes tbody tr")).to_have_count(1)
    expect(page.locator(".admin-changes")).to_contain_text("création")
    assert_accessible(page, context="(dry run)")
    screenshot(page, "admin-desktop-fr-dry-run")
    # WHEN they confirm with a double click
    page.get_by_role("button", name="Appliquer ce lot").dblclick()
    # THEN the batch is applied once: one real POST, with an Idempotency-Key
    expect(page.get_by_role("heading", name="Lot appliqué")).to_be_visible(timeout=60_000)
    expect(page.locator("#batch-status")).to_have_text("Statut : Appliqué")
    real = [r for r in posts if "dry_run" not in r.url]
    assert len(real) == 1, [r.url for r in posts]
    assert real[0].headers.get("idempotency-key")
    expect(page.locator("[data-count=created] dd")).to_have_text("1")
    # AND the region's recent batches list it as applied
    expect(page.locator(".admin-batches [data-status=applied]").first).to_be_visible()
    # AND the new listing is soon findable through the public API
    found = eventually(lambda: api_get(stack, f"/services?search={word}")["contents"])
    assert found and found[0]["name"] == f"Popote {word}"
    assert not page.js_errors


# ---- a bad batch: every row error, in French then in English; nothing applied -------------------------------


def test_a_bad_csv_shows_every_row_error_in_french_then_english_and_applies_nothing(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN a CSV whose rows have an invalid postal code, an invalid phone number and an unknown category
    word = f"Malfichu{uuid.uuid4().hex[:6]}"
    path = csv_file(
        tmp_path,
        "erreurs.csv",
        [
            row("BAD-1", f"Halte {word}", postal="K1A 0B1"),
            row("BAD-2", f"Local {word}", phone="555-01"),
            row("BAD-3", f"Comptoir {word}", category="CATEGORIE-INCONNUE"),
            row("BAD-4", f"Friperie {word}", postal="12345"),
        ],
    )
    open_admin(page, stack, token_for("region-admin", "02"))
    # WHEN the admin checks it
    check(page, path)
    # THEN every row error is listed in French, with its row and column, and the batch is refused
    expect(page.get_by_role("heading", name="Erreurs du lot")).to_be_visible()
    expect(page.locator("#batch-status")).to_have_text("Statut : Refusé")
    table = page.locator(".admin-errors table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table).to_contain_text("n'est pas au Québec")
    expect(table).to_contain_text("Code postal invalide")
    expect(table).to_contain_text("Numéro de téléphone invalide")
    expect(table).to_contain_text("Catégorie inconnue")
    expect(table).to_contain_text("ligne 3")
    expect(table).to_contain_text("telephone")
    expect(page.get_by_role("alert").first).to_contain_text("rien n'a été modifié")
    expect(page.get_by_role("button", name="Appliquer ce lot")).to_have_count(0)
    assert_accessible(page, context="(errors, French)")
    # WHEN they switch the page to English
    page.get_by_role("link", name="English").click()
    # THEN the same batch's errors are shown in English
    expect(page.get_by_role("heading", name="Batch errors")).to_be_visible()
    table = page.locator(".admin-errors table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table).to_contain_text("is not in Québec")
    expect(table).to_contain_text("Invalid phone number")
    expect(table).to_contain_text("Unknown category")
    expect(table).to_contain_text("row 3")
    expect(page.locator("#batch-status")).to_have_text("Status: Rejected")
    assert_accessible(page, context="(errors, English)")
    screenshot(page, "admin-desktop-en-errors")
    # AND nothing was applied
    assert api_get(stack, f"/services?search={word}")["contents"] == []
    assert not page.js_errors


def test_junk_files_and_many_errors(stack: Stack, page: Any, token_for: Any, tmp_path: Path) -> None:
    open_admin(page, stack, token_for("region-admin", "02"))
    # GIVEN a file named .csv that holds binary junk
    junk = tmp_path / "photo.csv"
    junk.write_bytes(bytes(range(256)) * 8)
    # WHEN it is checked THEN the file-level error is shown as a row of the table
    check(page, junk)
    expect(page.get_by_role("heading", name="Erreurs du lot")).to_be_visible()
    expect(page.locator(".admin-errors tbody tr")).to_have_count(1)
    expect(page.locator(".admin-errors tbody")).to_contain_text("fichier")
    # GIVEN a file whose format cannot be told from its extension
    other = tmp_path / "export.dat"
    other.write_bytes(b"\x00\x01junk")
    check(page, other)
    # THEN the admin is asked to choose the format, and nothing is sent
    expect(page.get_by_role("alert").filter(has_text="Format non reconnu")).to_be_visible()
    # GIVEN a CSV with 60 rows in error
    many = csv_file(tmp_path, "beaucoup.csv", [row(f"M-{n}", f"Service {n}", phone="555") for n in range(60)])
    # WHEN it is checked THEN the errors come one page at a time
    check(page, many)
    expect(page.locator(".admin-errors caption")).to_have_text("Erreurs 1 à 50 sur 60")
    expect(page.locator(".admin-errors tbody tr")).to_have_count(50)
    page.get_by_role("button", name="Erreurs suivantes").click()
    expect(page.locator(".admin-errors caption")).to_have_text("Erreurs 51 à 60 sur 60")
    expect(page.locator(".admin-errors tbody tr")).to_have_count(10)
    expect(page.get_by_text("Page 2 sur 2")).to_be_visible()
    assert not page.js_errors


def test_a_replace_that_would_deactivate_many_listings_asks_for_the_number(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN a one-listing file sent in replace mode: the rest of region 02 would become inactive
    path = csv_file(tmp_path, "remplacement.csv", [row("R-1", "Seul service")])
    open_admin(page, stack, token_for("region-admin", "02"))
    page.get_by_label("Remplacer").check()
    # WHEN it is checked
    check(page, path)
    # THEN the replace guard asks the admin to confirm the number of deactivations
    expect(page.get_by_role("heading", name="Confirmation requise")).to_be_visible()
    confirm = page.get_by_role("button", name=re.compile(r"^Je confirme la désactivation de \d+ fiches$"))
    count = int(re.sub(r"\D", "", confirm.inner_text()))
    assert count > 1
    # WHEN they confirm that number THEN the preview shows exactly that many deactivations (nothing applied yet)
    confirm.click()
    expect(page.get_by_role("heading", name="Aperçu du lot")).to_be_visible()
    expect(page.locator("[data-count=deactivated] dd")).to_have_text(str(count))
    page.get_by_role("button", name="Annuler").click()
    expect(page.get_by_role("heading", name="Aperçu du lot")).to_have_count(0)
    assert not page.js_errors


# ---- scope ---------------------------------------------------------------------------------------------------


def test_a_file_for_a_region_outside_the_admins_scope_is_refused(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN the region-admin of 02 and a file whose row belongs to region 06 (Montréal)
    word = f"Horsperim{uuid.uuid4().hex[:6]}"
    path = csv_file(
        tmp_path, "montreal.csv", [row("OUT-1", f"Service {word}", postal="H2X 1Y4", region="06")]
    )
    open_admin(page, stack, token_for("region-admin", "02"))
    # WHEN they check it
    check(page, path)
    # THEN the API's refusal (403) is shown with the offending row, and nothing changed
    expect(page.get_by_role("alert").first).to_contain_text(
        "Des fiches du lot sont hors de votre périmètre : rien n'a été modifié."
    )
    expect(page.locator(".admin-errors table")).to_contain_text("La région 06 est hors de votre périmètre")
    expect(page.get_by_role("button", name="Appliquer ce lot")).to_have_count(0)
    assert api_get(stack, f"/services?search={word}")["contents"] == []
    assert not page.js_errors


# ---- a listing's history and restore -------------------------------------------------------------------------


def test_a_listings_history_shows_its_versions_and_an_earlier_one_can_be_restored(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN a listing imported, then changed by a second batch (two versions)
    token = token_for("region-admin", "02", username="admin-02")
    word = f"Histoire{uuid.uuid4().hex[:6]}"
    first = "\n".join(
        [HEADERS, row(f"H-{word}", f"Halte {word}", description="Première description.")]
    ).encode()
    second = "\n".join(
        [HEADERS, row(f"H-{word}", f"Halte {word}", description="Description corrigée.")]
    ).encode()
    batch = api_post(stack, "/admin/batches?region=02", token, first, "text/csv")
    api_post(stack, "/admin/batches?region=02", token, second, "text/csv")
    report = json.loads(
        urllib.request.urlopen(
            urllib.request.Request(
                f"{stack.api}/admin/batches/{batch['id']}", headers={"Authorization": f"Bearer {token}"}
            ),
            timeout=30,
        ).read()
    )
    service_id = report["changes"][0]["service_id"]
    open_admin(page, stack, token)
    # WHEN the admin looks the listing up by its identifier
    page.get_by_label("Nom ou identifiant de la fiche").fill(service_id)
    page.get_by_role("button", name="Chercher").click()
    # THEN its versions are listed newest first, with who, which batch and what changed
    expect(page.get_by_role("heading", name=f"Historique de « Halte {word} »")).to_be_visible()
    versions = page.locator(".admin-version")
    expect(versions).to_have_count(2)
    expect(versions.nth(0)).to_contain_text("Version 2")
    expect(versions.nth(0)).to_contain_text("version courante")
    expect(versions.nth(0)).to_contain_text("description")
    expect(versions.nth(0)).to_contain_text("admin-02")
    expect(versions.nth(1)).to_contain_text("première version")
    assert "listing=" in page.url
    assert_accessible(page, context="(history)")
    screenshot(page, "admin-desktop-fr-history")
    # WHEN they ask to restore version 1, THEN they are asked to confirm first (Cancel keeps everything)
    page.get_by_role("button", name="Restaurer la version 1").click()
    expect(page.get_by_text("Restaurer la version 1 ? La fiche reprendra ce contenu")).to_be_visible()
    page.get_by_role("button", name="Annuler").click()
    expect(page.get_by_role("button", name="Confirmer la restauration")).to_have_count(0)
    page.get_by_role("button", name="Restaurer la version 1").click()
    page.get_by_role("button", name="Confirmer la restauration").click()
    # THEN version 1's content is back as version 3
    expect(page.get_by_text("Version 1 restaurée : c'est maintenant la version 3.")).to_be_visible()
    expect(versions).to_have_count(3)
    expect(versions.nth(0)).to_contain_text("restore of version 1")
    assert api_get(stack, f"/services/{service_id}")["description"] == "Première description."
    # AND a name search in the region finds the listing too
    page.get_by_label("Nom ou identifiant de la fiche").fill(f"Halte {word}")
    page.get_by_role("button", name="Chercher").click()
    expect(page.get_by_role("button", name=f"Historique de « Halte {word} »")).to_be_visible(timeout=60_000)
    assert not page.js_errors


# ---- keyboard only; the API down ---------------------------------------------------------------------------------


def focused_id(page: Any) -> str:
    return str(page.evaluate("() => document.activeElement && document.activeElement.id"))


def tab_to(page: Any, element_id: str, limit: int = 40) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if focused_id(page) == element_id:
            return
    raise AssertionError(f"Tab never reached #{element_id}")


def test_the_upload_flow_works_with_the_keyboard_only(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN an admin who uses only the keyboard, and a valid file
    word = f"Clavier{uuid.uuid4().hex[:6]}"
    path = csv_file(tmp_path, "clavier.csv", [row(f"K-{word}", f"Service {word}")])
    page.goto(stack.url("admin.html"))
    expect(page.get_by_label("Jeton d'accès")).to_be_focused()
    page.keyboard.type(token_for("region-admin", "02"))
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".signed-in")).to_be_visible()
    # WHEN they tab to the file field and open the file chooser with the keyboard
    tab_to(page, "batch-file")
    for attempt in range(3):  # a loaded machine sometimes drops the first key press before the chooser opens
        expect(page.locator("#batch-file")).to_be_focused()
        try:
            with page.expect_file_chooser(timeout=10_000) as chooser:
                page.keyboard.press("Space")
            break
        except PlaywrightTimeoutError:
            if attempt == 2:
                raise
    chooser.value.set_files(str(path))
    # AND tab to the check button and press Enter
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.textContent") == "Vérifier le fichier (aperçu)":
            break
    page.keyboard.press("Enter")
    # THEN focus moves to the preview, from which Tab reaches the confirm button
    expect(page.get_by_role("heading", name="Aperçu du lot")).to_be_focused()
    tab_to(page, "confirm-batch")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Lot appliqué")).to_be_focused(timeout=60_000)
    expect(page.locator("#batch-status")).to_have_text("Statut : Appliqué")
    assert not page.js_errors


def test_the_api_down_shows_a_problem_with_a_retry(
    stack: Stack, page: Any, token_for: Any, tmp_path: Path
) -> None:
    # GIVEN a signed-in admin, then the API goes down
    open_admin(page, stack, token_for("region-admin", "02"))
    page.route(stack.api + "/admin/batches?**", lambda route: route.fulfill(status=500, body="boom"))
    path = csv_file(tmp_path, "panne.csv", [row("P-1", "Service en panne")])
    # WHEN they check a file
    check(page, path)
    # THEN they see a plain problem with a retry, not a blank page
    problem = page.locator("#batch-result [role=alert]")
    expect(problem).to_contain_text("momentanément indisponible")
    expect(page.locator("#batch-result").get_by_role("button", name="Réessayer")).to_be_visible()
    # WHEN the API is back and they retry THEN the preview appears
    page.unroute(stack.api + "/admin/batches?**")
    page.locator("#batch-result").get_by_role("button", name="Réessayer").click()
    expect(page.get_by_role("heading", name="Aperçu du lot")).to_be_visible()
    assert not page.js_errors


def test_a_file_over_10_mb_goes_through_the_presigned_upload(stack: Stack, page: Any, token_for: Any) -> None:
    # GIVEN a CSV file over the API's 10 MB body limit
    open_admin(page, stack, token_for("region-admin", "02"))
    requests: list[Any] = []
    page.on("request", lambda r: requests.append(r) if r.method in ("POST", "PUT") else None)
    big = (HEADERS + "\n" + row("BIG-1", "Gros fichier") + "\n" + "#" * (10 * 1024 * 1024 + 10)).encode()
    page.get_by_label("Fichier du lot").set_input_files(
        files=[{"name": "gros.csv", "mimeType": "text/csv", "buffer": big}]
    )
    # WHEN it is checked
    page.get_by_role("button", name="Vérifier le fichier (aperçu)").click()
    # THEN the console asks for a presigned URL instead of posting 10 MB to the API, PUTs the file to the bucket
    # (allowed by the pages' CSP), and follows the import the upload started: the junk line is a row error
    expect(page.get_by_role("heading", name="Erreurs du lot")).to_be_visible(timeout=60_000)
    uploads = [r for r in requests if "/admin/batches/uploads" in r.url]
    assert len(uploads) == 1 and json.loads(uploads[0].post_data)["content_type"] == "text/csv"
    puts = [r for r in requests if r.method == "PUT"]
    assert len(puts) == 1 and puts[0].response().status == 200
    assert not [r for r in requests if r.url.startswith(stack.api + "/admin/batches?")]
    assert not page.js_errors

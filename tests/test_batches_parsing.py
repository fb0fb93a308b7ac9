"""Listing batches, pure domain: encodings, the four formats, row validation, stable ids, diff and merge.
No AWS: these run in milliseconds."""

from __future__ import annotations

import io
import zipfile

import pytest

from shared.batches import airs_xml, csv_template, diff, hsds_json, hsds_tabular
from shared.batches.encodings import decode_text
from shared.batches.problems import BatchRejected
from shared.batches.validation import normalise_phone, normalise_postal_code, validate
from shared.directory import taxonomy
from tests.batches_helpers import fixture, hsds_package


def _valid(parsed, region: str = "02"):  # type: ignore[no-untyped-def]
    return validate(parsed, region=region, lang="fr", source="test")


def test_encodings_utf8_bom_and_windows_1252_decode_to_the_same_text() -> None:
    utf8 = fixture("saguenay_bom.csv")[3:].decode("utf-8")
    assert decode_text(fixture("saguenay_bom.csv")) == (utf8, "utf-8-sig")
    text, encoding = decode_text(fixture("saguenay_cp1252.csv"))
    assert text.replace("\r\n", "\n") == utf8 and encoding == "cp1252"


@pytest.mark.parametrize(
    "data, code",
    [
        ("Dépannage".encode().decode("cp1252").encode("utf-8"), "mojibake_detected"),
        ("Caf\ufffd du coin".encode(), "mojibake_detected"),
        (bytes(range(256)) * 20, "encoding_undetected"),
        (b"abc\x01def", "malformed_file"),
    ],
)
def test_encodings_refuse_what_would_store_mojibake(data: bytes, code: str) -> None:
    with pytest.raises(BatchRejected) as caught:
        decode_text(data)
    assert caught.value.problem.code == code


def test_csv_template_reads_french_headers_and_normalises_values() -> None:
    parsed = csv_template.parse(fixture("saguenay.csv"))
    result = _valid(parsed)
    assert not result.errors and len(result.services) == 3 and len(result.organizations) == 2
    popote = next(s for _, s in result.services if s.name.fr == "Popote roulante")
    assert popote.name.en == "Meals on wheels"
    assert popote.phones[0].number == "418 668-3018" and popote.phones[0].extension == 2
    assert [(s.byday, s.opens_at, s.closes_at) for s in popote.schedules] == [
        ("MO,TU,WE,TH,FR", "08:30", "12:00"),
        ("MO,TU,WE,TH,FR", "13:00", "16:30"),
    ]
    assert popote.minimum_age == 65 and {lang.code for lang in popote.languages} == {"fr", "en"}
    assert popote.service_at_locations[0].location.latitude == pytest.approx(48.5502)
    assert popote.taxonomy_term_ids == [taxonomy.term_by_code("FOOD-MOW").id]  # type: ignore[union-attr]
    banque = next(s for _, s in result.services if s.name.fr.startswith("Banque"))  # type: ignore[union-attr]
    assert len(banque.attributes) == 2 and banque.phones[0].number == "418 547-6484"


def test_csv_template_ids_are_stable_across_exports_and_encodings() -> None:
    first = {s.id for _, s in _valid(csv_template.parse(fixture("saguenay.csv"))).services}
    again = {s.id for _, s in _valid(csv_template.parse(fixture("saguenay_cp1252.csv"))).services}
    assert first == again


def test_csv_template_lists_every_error_with_row_and_column() -> None:
    result = _valid(csv_template.parse(fixture("saguenay_errors.csv")))
    found = {(p.ref, p.field, p.code) for p in result.errors}
    assert ("3", "téléphone", "invalid_phone") in found
    assert ("3", "catégories", "unknown_category") in found
    assert ("3", "code_postal", "postal_code_outside_quebec") in found
    assert ("4", "heures", "invalid_hours") in found
    assert ("4", "organisme", "missing_field") in found
    assert ("5", "identifiant", "duplicate_id") in found
    assert result.rejected_rows == 3 and len(result.services) == 1


def test_csv_template_missing_required_columns_is_a_file_error() -> None:
    with pytest.raises(BatchRejected) as caught:
        csv_template.parse(b"nom;ville\nA;Alma\n")
    assert "organisme" in caught.value.problem.detail


@pytest.mark.parametrize(
    "text, expected",
    [
        ("lun-ven 8h30-16h30; sam 9h-12h", [("MO,TU,WE,TH,FR", "08:30", "16:30"), ("SA", "09:00", "12:00")]),
        (
            "Lundi au vendredi : 9 h à 12 h, 13 h à 16 h 30",
            [("MO,TU,WE,TH,FR", "09:00", "12:00"), ("MO,TU,WE,TH,FR", "13:00", "16:30")],
        ),
        ("mon, wed, fri 9:00-12:00", [("MO,WE,FR", "09:00", "12:00")]),
        ("24/7", [("MO,TU,WE,TH,FR,SA,SU", "00:00", "24:00")]),
    ],
)
def test_hours_in_french_and_english(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert [(s["byday"], s["opens_at"], s["closes_at"]) for s in csv_template.parse_hours(text)] == expected


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("418 555-0142", ("418 555-0142", None)),
        ("(418) 555-0142 poste 12", ("418 555-0142", 12)),
        ("1-800-555-0199", ("800 555-0199", None)),
        ("+1 514.555.0000 ext. 7", ("514 555-0000", 7)),
        ("555-01", None),
        ("Local 114", None),
        ("418 055-0142", None),
    ],
)
def test_phone_numbers(raw: str, expected: tuple[str, int | None] | None) -> None:
    assert normalise_phone(raw) == expected


def test_postal_codes() -> None:
    assert normalise_postal_code("g8b1l9") == "G8B 1L9"
    assert normalise_postal_code("G8B-1L9") == "G8B 1L9"
    assert normalise_postal_code("D8B 1L9") is None and normalise_postal_code("12345") is None


def test_airs_xml_groups_sites_maps_codes_and_keeps_no_private_data() -> None:
    parsed = airs_xml.parse(fixture("icarol_export.xml"))
    result = _valid(parsed)
    assert not result.errors and len(result.services) == 3
    depannage = next(s for _, s in result.services if s.name.fr == "Dépannage alimentaire")
    assert len(depannage.service_at_locations) == 2
    assert depannage.taxonomy_term_ids == [taxonomy.term_by_code("FOOD-BANK").id]  # type: ignore[union-attr]
    assert depannage.phones[0].extension == 3
    monday = depannage.schedules[0]
    assert (monday.byday, monday.opens_at, monday.closes_at) == ("MO,WE", "09:00", "12:00")
    assert depannage.schedules[0].description is not None
    org = next(
        o for _, _, o in result.organizations.values() if o.name.fr == "Regroupement d'entraide du Lac"
    )
    assert "<b>" not in (org.description.fr or "") and "aide alimentaire" in (org.description.fr or "")
    shelter = next(s for _, s in result.services if s.name.fr.startswith("Hébergement"))  # type: ignore[union-attr]
    assert all(not sal.location.addresses for sal in shelter.service_at_locations)
    dump = str([s.model_dump() for _, s in result.services])
    assert "Personne Fictive" not in dump
    assert {w.value for w in result.warnings if w.code == "unmapped_taxonomy_code"} == {
        "YZ-9999",
        "BD-5000.1500",
    }


def test_airs_xml_truncated_and_doctype_are_file_errors() -> None:
    data = fixture("icarol_export.xml")
    for broken in (
        data[: len(data) // 2],
        data.replace(b"<Source ", b'<!DOCTYPE Source SYSTEM "x"><Source '),
    ):
        with pytest.raises(BatchRejected) as caught:
            airs_xml.parse(broken)
        assert caught.value.problem.code == "malformed_file"


def test_hsds_json_keeps_known_fields_and_derives_stable_ids() -> None:
    parsed = hsds_json.parse(fixture("hsds_services.json"))
    result = _valid(parsed)
    assert not result.errors, [e.to_json() for e in result.errors]
    ids = sorted(s.id for _, s in result.services)
    assert ids == sorted(s.id for _, s in _valid(hsds_json.parse(fixture("hsds_services.json"))).services)
    halte = next(s for _, s in result.services if s.name.fr == "Halte-garderie communautaire")
    assert halte.schedules[0].opens_at == "09:00"
    assert halte.service_at_locations[0].location.addresses[0].postal_code == "G7B 2N5"
    assert {w.value for w in result.warnings if w.code == "ignored_field"} >= {
        "contacts",
        "assured_date",
        "organization.funding",
    }


def test_hsds_tabular_joins_tables_and_names_the_table_of_a_problem() -> None:
    result = _valid(hsds_tabular.parse(hsds_package()))
    assert not result.errors and len(result.services) == 2
    kitchen = next(s for _, s in result.services if s.name.en == "Community kitchen")
    assert kitchen.name.fr == "Cuisine communautaire" and kitchen.phones[0].number == "418 549-0000"
    assert kitchen.service_at_locations[0].location.addresses[0].city == "Saguenay"
    # a bad postal code in addresses.csv is reported against addresses.csv, line 2
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(hsds_package())) as source, zipfile.ZipFile(buffer, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            target.writestr(name, data.replace(b"G7H 1S4", b"ZZZ") if name == "addresses.csv" else data)
    result = _valid(hsds_tabular.parse(buffer.getvalue()))
    assert {(p.field, p.code) for p in result.errors} == {
        ("addresses.csv:2 postal_code", "invalid_postal_code")
    }


def test_three_way_merge_keeps_both_admins_changes() -> None:
    base = {"name": "A", "description": "old", "phones": [1]}
    ours = {"name": "A", "description": "new", "phones": [1]}
    theirs = {"name": "A", "description": "old", "phones": [2]}
    merged, conflicts = diff.three_way(base, ours, theirs)
    assert merged == {"name": "A", "description": "new", "phones": [2]} and conflicts == []
    merged, conflicts = diff.three_way(base, {**ours, "phones": [3]}, theirs)
    assert merged["phones"] == [3] and conflicts == ["phones"]

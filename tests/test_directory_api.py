"""The HSDS read API through the Chalice test client on moto: shapes, filters, languages, errors, and cost."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from shared.commands.seed import publish_search_indexes
from shared.config import get_settings
from shared.directory.models import sort_key
from shared.directory.repository import DirectoryRepository
from tests import factories as f
from tests.hsds import assert_valid


@pytest.fixture
def directory(aws: dict[str, str]) -> dict[str, Any]:
    """GIVEN a small directory over two regions: food and housing services, one inactive."""
    terms = f.sub_terms()
    food, housing, other = terms[0], terms[8], terms[20]
    moisson = f.organization("Moisson Saguenay–Lac-Saint-Jean", "02")
    cab = f.organization("Centre d'action bénévole d'Alma", "02")
    montreal = f.organization("Carrefour alimentaire Centre-Sud", "06")
    services = [
        f.service("Banque alimentaire", moisson, name_en="Food bank", terms=[food], locations=2),
        f.service("Dépannage alimentaire d'urgence", cab, terms=[food, other]),
        f.service("Aide à la recherche de logement", cab, terms=[housing],
                  modified=datetime(2026, 10, 1, tzinfo=UTC)),
        f.service("Popote roulante", cab, terms=[food], status="inactive"),
        f.service("Épicerie solidaire", montreal, name_en="Solidarity grocery", terms=[food], city="Montréal",
                  postal_code="H2L 1K5"),
    ]
    repository = DirectoryRepository(get_settings().directory_table)
    for item in list(repository.bulk_load([moisson, cab, montreal], services)):
        assert item > 0
    publish_search_indexes([moisson, cab, montreal], services, stream=io.StringIO())
    return {"orgs": [moisson, cab, montreal], "services": services, "food": food, "housing": housing}


def body(response: Any) -> Any:
    return json.loads(response.body)


def test_about_declares_version_profile_and_openapi(api: Any) -> None:
    answer = body(api.http.get("/"))
    assert answer["version"]
    assert answer["profile"].endswith("/profile")
    assert answer["openapi_url"].endswith("/openapi.json")
    profile = body(api.http.get("/profile"))
    assert "region" in profile["extensions"] and "fr" in profile["languages"]["supported"]


def test_openapi_is_a_valid_document_describing_every_route(api: Any) -> None:
    from openapi_spec_validator import validate

    spec = body(api.http.get("/openapi.json"))

    def offline(node: Any) -> Any:  # record schemas are the official HSDS URLs; the validator must not fetch them
        if isinstance(node, dict):
            if str(node.get("$ref", "")).startswith("https://"):
                return {"type": "object", "description": node["$ref"]}
            return {k: offline(v) for k, v in node.items()}
        return [offline(v) for v in node] if isinstance(node, list) else node

    validate(offline(spec))
    for route in ("/services", "/services/{id}", "/service_at_locations", "/service_at_locations/{id}",
                  "/organizations", "/organizations/{id}", "/taxonomies", "/taxonomy_terms", "/taxonomy_terms/{id}"):
        assert route in spec["paths"], route
    names = {p["name"] for p in spec["paths"]["/services"]["get"]["parameters"]}
    assert {"page", "per_page", "region", "taxonomy_term_id", "organization_id", "modified_after", "format",
            "search", "lat", "lng", "radius_km", "open_now", "sort", "facets"} <= names
    from app import app

    documented = {(path, method.lower()) for path, item in spec["paths"].items() for method in item}
    for path, methods in app.routes.items():
        for method in methods:
            assert (path, method.lower()) in documented, (path, method)
    assert spec["paths"]["/contacts"]["post"]["security"] == [{"bearer": []}]


def test_services_page_in_english_validates_against_hsds(api: Any, directory: dict[str, Any]) -> None:
    # WHEN a web page asks five services in English
    response = api.http.get("/services?per_page=5&lang=en")
    page = body(response)
    # THEN it answers the HSDS Page envelope with valid services, English first, French as fallback
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "en"
    assert page["total_items"] == 4  # the inactive one is hidden by default
    assert page["size"] == 4 and page["first_page"] and page["last_page"] and not page["empty"]
    for service in page["contents"]:
        assert_valid("service_list", service)
    names = [s["name"] for s in page["contents"]]
    assert "Food bank" in names and "Aide à la recherche de logement" in names
    by_id = {s.id: s for s in directory["services"]}
    ids = [s["id"] for s in page["contents"]]
    assert ids == sorted(ids, key=lambda i: sort_key(by_id[i].name.pick("fr")))  # ordered by French name


def test_one_service_is_fully_nested_and_valid(api: Any, directory: dict[str, Any]) -> None:
    service = directory["services"][0]
    response = api.http.get(f"/services/{service.id}", headers={"Accept-Language": "en-CA,en;q=0.9"})
    document = body(response)
    assert response.status_code == 200
    assert_valid("service", document)
    assert document["name"] == "Food bank"
    assert document["organization"]["id"] == service.organization_id
    assert len(document["service_at_locations"]) == 2
    assert document["attributes"][0]["taxonomy_term"]["id"] == directory["food"]
    assert document["service_at_locations"][0]["location"]["addresses"][0]["postal_code"] == "G8B 3L2"


def test_french_is_the_default_language(api: Any, directory: dict[str, Any]) -> None:
    service = directory["services"][0]
    assert body(api.http.get(f"/services/{service.id}"))["name"] == "Banque alimentaire"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("region=06", {"Épicerie solidaire"}),
        ("region=02,06&taxonomy_term_id={food}", {"Banque alimentaire", "Dépannage alimentaire d'urgence",
                                                  "Épicerie solidaire"}),
        ("taxonomy_term_id={housing}", {"Aide à la recherche de logement"}),
        ("organization_id={cab}", {"Dépannage alimentaire d'urgence", "Aide à la recherche de logement"}),
        ("organization_id={cab}&status=inactive", {"Popote roulante"}),
        ("modified_after=2026-01-01T00:00:00Z", {"Aide à la recherche de logement"}),
        ("region=02&taxonomy_term_id={housing}&organization_id={moisson}", set()),
    ],
)
def test_list_filters_combine_with_and(api: Any, directory: dict[str, Any], query: str, expected: set[str]) -> None:
    query = query.format(food=directory["food"], housing=directory["housing"],
                         cab=directory["orgs"][1].id, moisson=directory["orgs"][0].id)
    page = body(api.http.get(f"/services?{query}"))
    assert {s["name"] for s in page["contents"]} == expected
    assert page["total_items"] == len(expected)
    assert page["empty"] == (not expected)


def test_pagination_envelope(api: Any, directory: dict[str, Any]) -> None:
    first = body(api.http.get("/services?per_page=3&page=1"))
    second = body(api.http.get("/services?per_page=3&page=2"))
    assert (first["total_pages"], first["size"], first["first_page"], first["last_page"]) == (2, 3, True, False)
    assert (second["size"], second["first_page"], second["last_page"]) == (1, False, True)
    assert not {s["id"] for s in first["contents"]} & {s["id"] for s in second["contents"]}
    beyond = body(api.http.get("/services?per_page=3&page=9"))
    assert beyond["empty"] and beyond["contents"] == []


def test_ndjson_streams_every_record_of_a_region(api: Any, directory: dict[str, Any]) -> None:
    response = api.http.get("/services?format=ndjson&region=02&full=true")
    lines = [json.loads(line) for line in response.body.decode().splitlines() if line.strip()] if isinstance(
        response.body, bytes) else [json.loads(line) for line in response.body.splitlines() if line.strip()]
    assert response.headers["Content-Type"].startswith("application/x-ndjson")
    assert len(lines) == 3
    for line in lines:
        assert_valid("service", line)


def test_service_at_locations_list_and_item(api: Any, directory: dict[str, Any]) -> None:
    page = body(api.http.get("/service_at_locations?region=02&taxonomy_term_id=" + directory["food"]))
    assert page["total_items"] == 3  # the food bank has two locations
    for item in page["contents"]:
        assert_valid("service_at_location_list", item)
        assert item["service"]["name"]
    one = page["contents"][0]["id"]
    document = body(api.http.get(f"/service_at_locations/{one}?lang=en"))
    assert_valid("service_at_location", document)
    assert document["service"]["id"] == document["service_id"]


def test_organizations_list_and_item(api: Any, directory: dict[str, Any]) -> None:
    page = body(api.http.get("/organizations?region=02"))
    assert page["total_items"] == 2
    for item in page["contents"]:
        assert_valid("organization_list", item)
    cab = directory["orgs"][1]
    document = body(api.http.get(f"/organizations/{cab.id}"))
    assert document["name"] == "Centre d'action bénévole d'Alma"
    assert len(document["services"]) == 3
    full = body(api.http.get(f"/organizations/{cab.id}?full_service=true"))
    for service in full["services"]:
        assert_valid("service", service)


def test_taxonomy_routes_serve_the_shipped_categories(api: Any) -> None:
    taxonomies = body(api.http.get("/taxonomies"))
    assert taxonomies["total_items"] == 1
    taxonomy_id = taxonomies["contents"][0]["id"]
    assert body(api.http.get(f"/taxonomies/{taxonomy_id}?lang=en"))["name"]
    top = body(api.http.get("/taxonomy_terms?top_only=true&per_page=100"))
    assert 12 <= top["total_items"] <= 20
    parent = top["contents"][0]["id"]
    children = body(api.http.get(f"/taxonomy_terms?parent_id={parent}&per_page=100"))
    assert children["total_items"] >= 3
    assert all(c["parent_id"] == parent for c in children["contents"])
    term = body(api.http.get(f"/taxonomy_terms/{parent}?lang=en"))
    assert term["id"] == parent and term["name"]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/services/6d0f2b0e-0000-4000-8000-000000000000", 404, "not_found"),
        ("/services/not-even-a-uuid", 404, "not_found"),
        ("/service_at_locations/6d0f2b0e-0000-4000-8000-000000000000", 404, "not_found"),
        ("/organizations/6d0f2b0e-0000-4000-8000-000000000000", 404, "not_found"),
        ("/taxonomy_terms/6d0f2b0e-0000-4000-8000-000000000000", 404, "not_found"),
        ("/taxonomies/6d0f2b0e-0000-4000-8000-000000000000", 404, "not_found"),
        ("/services?per_page=1000", 400, "invalid_parameter"),
        ("/services?region=99", 400, "invalid_parameter"),
        ("/services?colour=blue", 400, "invalid_parameter"),
        ("/service_at_locations?taxonomy_term_id=%00", 400, "invalid_parameter"),
        ("/organizations?page=-1", 400, "invalid_parameter"),
    ],
)
def test_errors_have_one_shape_and_the_right_status(api: Any, directory: dict[str, Any], path: str, status: int,
                                                    code: str) -> None:
    response = api.http.get(path, headers={"Accept-Language": "en"})
    error = body(response)["error"]
    assert response.status_code == status
    assert error["code"] == code
    assert error["message"] and "Traceback" not in response.body.decode() if isinstance(
        response.body, bytes) else "Traceback" not in response.body
    assert "details" in error


def test_a_wrong_method_is_405_in_the_error_shape(api: Any) -> None:
    response = api.http.post("/services", body=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 405
    assert body(response)["error"]["code"] == "method_not_allowed"


def test_me_requires_a_valid_token(api: Any, token: Any) -> None:
    assert api.http.get("/me").status_code == 401
    assert api.http.get("/me", headers={"Authorization": "Bearer forged"}).status_code == 401
    me = api.http.get("/me", headers={"Authorization": "Bearer " + token("analyst", regions=("02",))})
    assert me.status_code == 200
    assert body(me) == {"username": "dev-user", "roles": ["analyst"], "regions": ["02"]}


def test_reads_never_scan_and_a_page_costs_one_batch_of_documents(
    api: Any, directory: dict[str, Any], aws_calls: Any
) -> None:
    # WHEN every read route is called
    service = directory["services"][0]
    api.http.get("/services?region=02&per_page=2")  # loads the region's search index (S3)
    aws_calls.reset()
    api.http.get("/services?region=02&per_page=2&page=2")
    # THEN a warm page costs two BatchGetItems (services, then organizations) and no index download
    assert aws_calls.of("dynamodb") == {"BatchGetItem": 2}
    assert sum(aws_calls.of("s3").values()) <= 1  # at most the manifest's conditional GET
    for path in (
        "/services", f"/services/{service.id}", "/service_at_locations", f"/organizations/{service.organization_id}",
        "/organizations", "/taxonomy_terms", "/services?format=ndjson", f"/services?taxonomy_term_id={directory['food']}",
    ):
        api.http.get(path)
    assert "Scan" not in aws_calls.of("dynamodb")
    assert sum(aws_calls.of("dynamodb").values()) > 0


def test_lookups_publish_one_event_without_personal_data(api: Any, directory: dict[str, Any]) -> None:
    import boto3

    # GIVEN a queue subscribed to the bus through the infra rule (analytics queue)
    sqs = boto3.client("sqs")
    queue_url = get_settings().model_dump().get("analytics_queue_url") or sqs.get_queue_url(
        QueueName="referral211-test-analytics")["QueueUrl"]
    # WHEN a phone intervenant looks up food in region 02
    api.http.get(f"/services?region=02&taxonomy_term_id={directory['food']}&channel=phone")
    # THEN one LookupPerformed lands in the analytics stream with coarse facts only
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    details = [json.loads(m["Body"])["detail"] for m in messages]
    assert [(d["channel"], d["region"], d["taxonomy_term_id"], d["result_count"]) for d in details] == [
        ("phone", "02", directory["food"], 2)
    ]
    assert set(details[0]) <= {"event_id", "occurred_at", "schema_version", "detail_type", "source", "channel",
                               "route", "region", "fsa", "taxonomy_term_id", "language", "result_count", "searched",
                               "search_term"}


def test_a_lookup_still_answers_when_the_bus_is_down(api: Any, directory: dict[str, Any], monkeypatch) -> None:
    # GIVEN an event bus that does not exist (analytics is down)
    monkeypatch.setenv("REFERRAL211_EVENT_BUS_NAME", "no-such-bus")
    from shared.config import reset_settings

    reset_settings()
    # WHEN a person looks something up THEN they still get their answer
    response = api.http.get("/services?region=02")
    assert response.status_code == 200
    assert body(response)["total_items"] == 3


def test_search_goes_through_the_index_and_ranks_the_food_bank_first(api: Any, directory: dict[str, Any]) -> None:
    # WHEN a person types everyday words without accents, in English, about a French record
    page = body(api.http.get("/services?search=food%20bank%20alma&lang=en"))
    # THEN the food bank comes first, in English
    assert page["contents"][0]["name"] == "Food bank"
    for item in page["contents"]:
        assert_valid("service_list", item)


def test_service_at_location_hits_carry_their_distance(api: Any, directory: dict[str, Any]) -> None:
    page = body(api.http.get("/service_at_locations?lat=48.55&lng=-71.65&radius_km=10&sort=distance"))
    assert page["total_items"] >= 1
    assert all(item["distance_m"] <= 10_000 for item in page["contents"])


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("radius_km=5", 422, "radius_km"),
        ("municipality=Atlantis", 422, "municipality"),
        ("search=%00", 400, "search"),
        ("search=food&format=ndjson", 400, "format"),
    ],
)
def test_bad_search_input_is_a_clear_4xx(api: Any, directory: dict[str, Any], query: str, status: int,
                                         parameter: str) -> None:
    response = api.http.get(f"/services?{query}")
    assert response.status_code == status
    assert parameter in [d["parameter"] for d in body(response)["error"]["details"]]


def test_a_search_lookup_event_keeps_only_a_scrubbed_term(api: Any, directory: dict[str, Any]) -> None:
    import boto3

    sqs = boto3.client("sqs")
    queue_url = sqs.get_queue_url(QueueName="referral211-test-analytics")["QueueUrl"]
    api.http.get("/services?search=banque%20alimentaire%20418-555-0199%20marie@example.com&region=02")
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", [])
    details = [json.loads(m["Body"])["detail"] for m in messages]
    assert len(details) == 1 and details[0]["searched"] is True
    assert "555" not in json.dumps(details) and "@" not in json.dumps(details)

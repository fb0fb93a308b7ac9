"""Regions, routing and contacts through the Chalice test client on moto: shapes, roles, scopes, conflicts,
retention, events, cost, and that a caller's number is kept nowhere."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.config import get_settings
from tests import factories as f

CALLER = "+1 418 555-0142"
CALLER_DIGITS = ("4185550142", "418 555-0142", "555-0142", "5550142")
FOOD_BANK = "FOOD-BANK"


@pytest.fixture(autouse=True)
def _fresh_region_cache() -> None:
    from shared.channels.region_store import clear_cache

    clear_cache()


@pytest.fixture
def hashed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REFERRAL211_CALLER_HASH_KEY", "test-only-secret-key-0123456789")
    from functions.channel_services import _contacts
    from shared.config import reset_settings

    reset_settings()
    _contacts.cache_clear()


def body(response: Any) -> Any:
    return json.loads(response.body)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}


def post(api: Any, path: str, payload: Any, token: str) -> Any:
    return api.http.post(path, headers=auth(token), body=json.dumps(payload))


def analytics_events(aws: dict[str, str]) -> list[dict[str, Any]]:
    """What the bus delivered to the analytics queue (no consumer runs in these tests)."""
    from shared.aws.clients import client

    sqs = client("sqs")
    url = aws["REFERRAL211_ANALYTICS_QUEUE_URL"]
    found = []
    while True:
        answer = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def table_items(table: str) -> list[dict[str, Any]]:
    """Every item of a table, read by the test itself (request paths never scan)."""
    from shared.aws.clients import client

    items: list[dict[str, Any]] = []
    for page in client("dynamodb").get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    return items


# ---- regions ----------------------------------------------------------------------------------------------------


def test_regions_are_public_and_say_whether_phone_and_chat_are_open(api: Any, aws_calls: Any) -> None:
    # WHEN a web page asks on a Wednesday morning
    response = api.http.get("/regions?at=2026-11-04T15:00:00Z&lang=en")
    answer = body(response)
    # THEN all 17 regions answer, with their lines open or not and who answers now
    assert response.status_code == 200 and response.headers["Content-Language"] == "en"
    assert [r["code"] for r in answer["regions"]] == [f"{n:02d}" for n in range(1, 18)]
    slsj = answer["regions"][1]
    phone = slsj["channels"]["phone"]
    assert (phone["live"], phone["open_now"], phone["answered_now_by"]) == (True, True, "regional_team")
    assert slsj["team_name"] == "211 Saguenay–Lac-Saint-Jean regional team"
    laval = answer["regions"][12]
    assert laval["channels"]["phone"]["answered_now_by"] == "common_centre"
    assert any(not r["channels"]["phone"]["live"] for r in answer["regions"])  # web-only regions
    assert answer["common_centre"]["code"] == "common"
    assert "queue_arn" not in slsj["channels"]["phone"]  # operational details stay admin-only
    # AND reading them costs one BatchGetItem, never a Scan
    assert aws_calls.of("dynamodb") == {"BatchGetItem": 1}


def test_one_region_when_closed_names_the_next_opening(api: Any) -> None:
    answer = body(api.http.get("/regions/13?at=2026-11-05T02:00:00Z"))  # 21:00 in Montréal
    assert answer["channels"]["phone"]["open_now"] is False
    assert answer["channels"]["phone"]["next_opening"] == "2026-11-05T08:00:00-05:00"


def test_an_unknown_region_is_404(api: Any) -> None:
    for path in ["/regions/18", "/regions/quebec", "/regions/00"]:
        response = api.http.get(path)
        assert response.status_code == 404 and body(response)["error"]["code"] == "not_found"


def test_a_bad_instant_is_400_not_500(api: Any) -> None:
    response = api.http.get("/regions?at=tomorrow")
    assert response.status_code == 400 and body(response)["error"]["details"][0]["parameter"] == "at"


def region_payload(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": {"fr": "Laval", "en": "Laval"},
        "answered_by": "regional_team",
        "team_name": {"fr": "Équipe 211 de Laval", "en": "211 Laval team"},
        "channels": {
            "web": {"live_since": "2016-10-03"},
            "phone": {
                "live_since": "2016-10-03",
                "hours": [{"days": ["MO", "TU", "WE", "TH", "FR"], "opens": "09:00", "closes": "17:00"}],
            },
            "chat": {"live_since": None},
        },
        "holidays": [{"date": "2026-11-11", "name": {"fr": "Jour du Souvenir"}}],
    }
    return payload | changes


def test_a_platform_admin_changes_a_region_and_routing_follows(api: Any, token: Any) -> None:
    admin = token("platform-admin")
    # WHEN Laval gets its own team, weekdays 9h-17h, and no chat
    response = api.http.put("/admin/regions/13", headers=auth(admin), body=json.dumps(region_payload()))
    assert response.status_code == 200, response.body
    assert body(response)["version"] == 1 and body(response)["channels"]["phone"]["queue_arn"] is None
    # THEN the public view and the routing change at once
    region = body(api.http.get("/regions/13?at=2026-11-04T15:00:00Z"))
    assert region["answered_by"] == "regional_team" and region["channels"]["chat"]["live"] is False
    routed = body(api.http.get("/routing?channel=phone&postal_code=H7N5H9&at=2026-11-04T15:00:00Z"))
    assert routed["route"] == "regional_team"
    chat = body(api.http.get("/routing?channel=chat&region=13&at=2026-11-04T15:00:00Z"))
    assert (chat["route"], chat["reason"]) == ("unavailable", "not_offered")
    holiday = body(api.http.get("/routing?channel=phone&region=13&at=2026-11-11T15:00:00Z"))
    assert (holiday["route"], holiday["reason"]) == ("closed", "holiday")
    # AND a second write that names the version it read wins only if nobody wrote in between
    stale = api.http.put("/admin/regions/13", headers=auth(admin), body=json.dumps(region_payload(version=0)))
    assert stale.status_code == 409 and body(stale)["error"]["code"] == "version_conflict"
    fresh = api.http.put("/admin/regions/13", headers=auth(admin), body=json.dumps(region_payload(version=1)))
    assert fresh.status_code == 200 and body(fresh)["version"] == 2


def test_only_platform_admins_change_regions(api: Any, token: Any) -> None:
    for roles, regions, status in [
        ((), (), 401),
        (("agent",), ("13",), 403),
        (("region-admin",), ("13",), 403),
        (("analyst",), (), 403),
    ]:
        headers = auth(token(*roles, regions=regions)) if roles else {"Content-Type": "application/json"}
        response = api.http.put("/admin/regions/13", headers=headers, body=json.dumps(region_payload()))
        assert response.status_code == status, roles
    assert body(api.http.get("/regions/13"))["answered_by"] == "common_centre"  # unchanged


INVALID_CONFIGURATIONS = [
    region_payload(answered_by="nobody"),
    region_payload(team_name=None),
    region_payload(channels={"phone": {"hours": [{"days": ["XX"], "opens": "08:00", "closes": "18:00"}]}}),
    region_payload(channels={"phone": {"hours": [{"days": ["MO"], "opens": "18:00", "closes": "08:00"}]}}),
    region_payload(holidays=[{"date": "2026-13-01", "name": {"fr": "x"}}]),
    region_payload(unexpected=True),
    [],
]


def test_an_invalid_configuration_is_400_and_changes_nothing(api: Any, token: Any) -> None:
    admin = token("platform-admin")
    for payload in INVALID_CONFIGURATIONS:
        response = api.http.put("/admin/regions/13", headers=auth(admin), body=json.dumps(payload))
        assert response.status_code == 400, response.body
        assert set(body(response)["error"]) == {"code", "message", "details"}
    assert body(api.http.get("/regions/13"))["version"] == 0


def test_invalid_json_is_400(api: Any, token: Any) -> None:
    response = api.http.put("/admin/regions/13", headers=auth(token("platform-admin")), body="{nope")
    assert response.status_code == 400 and body(response)["error"]["code"] == "invalid_json"


def test_routing_endpoint_validates_and_costs_at_most_one_read(api: Any, aws_calls: Any) -> None:
    assert api.http.get("/routing?channel=fax").status_code == 400
    assert api.http.get("/routing?channel=phone&lat=46.8").status_code == 400
    aws_calls.reset()
    answer = body(api.http.get("/routing?channel=phone&lat=48.55&lng=-71.65&at=2026-11-04T15:00:00Z"))
    assert answer["route"] == "regional_team" and answer["territory"]["source"] == "coordinates"
    body(api.http.get("/routing?channel=chat&postal_code=G8B3L2&at=2026-11-04T15:00:00Z"))
    assert aws_calls.of("dynamodb") == {"BatchGetItem": 1}  # the second decision came from the warm cache


# ---- contacts -------------------------------------------------------------------------------------------------


def test_an_agent_records_a_whole_contact(api: Any, aws: dict[str, str], token: Any, aws_calls: Any) -> None:
    agent = token("agent", regions=("02",))
    # GIVEN a call from Alma
    started = post(
        api,
        "/contacts",
        {"channel": "phone", "language": "fr", "territory": {"postal_code": "G8B 3L2"}},
        agent,
    )
    assert started.status_code == 201, started.body
    contact = body(started)
    assert contact["territory"] == {"region": "02", "fsa": "G8B"} and contact["status"] == "open"
    cid = contact["id"]
    # WHEN the intervenant records needs, a referral, an unmet need and closes the contact
    food = f.sub_terms()[0]
    assert post(api, f"/contacts/{cid}/needs", {"categories": [food, "HOUSING"]}, agent).status_code == 201
    unmet = post(api, f"/contacts/{cid}/unmet_needs", {"category": "HOUSING", "reason": "full"}, agent)
    assert unmet.status_code == 201 and body(unmet)["reason"] == "full"
    closed = post(api, f"/contacts/{cid}/close", {"outcome": "unmet", "follow_up": True}, agent)
    assert closed.status_code == 200 and body(closed)["status"] == "closed"
    # THEN the contact reads back whole, in one Query
    aws_calls.reset()
    read = body(api.http.get(f"/contacts/{cid}", headers=auth(agent)))
    assert aws_calls.of("dynamodb") == {"Query": 1}
    assert read["counts"] == {"needs": 1, "referrals": 0, "unmet_needs": 1}
    assert read["needs"][0]["categories"][0] == food and read["unmet_needs"][0]["reason"] == "full"
    assert read["outcome"] == "unmet" and read["follow_up"] is True
    # AND it expires after the retention period (DynamoDB TTL)
    expires = datetime.fromisoformat(read["expires_at"])
    retention = timedelta(days=get_settings().contact_retention_days)
    assert abs(expires - (datetime.now(UTC) + retention)) < timedelta(minutes=5)
    # AND each step was published, coarse and without the contact's id
    events = analytics_events(aws)
    kinds = [e["detail-type"] for e in events]
    assert kinds == ["ContactStarted", "NeedRecorded", "UnmetNeedRecorded", "ContactClosed"]
    for event in events:
        assert event["source"] == "referral211.channels"
        assert event["detail"]["region"] == "02" and event["detail"]["fsa"] == "G8B"
        assert cid not in json.dumps(event)
    closed_event = events[-1]["detail"]
    assert (closed_event["needs"], closed_event["unmet_needs"], closed_event["outcome"]) == (1, 1, "unmet")
    assert "Scan" not in aws_calls.of("dynamodb")


def test_referrals_need_a_service_that_exists(api: Any, aws: dict[str, str], token: Any) -> None:
    from shared.directory.repository import DirectoryRepository

    org = f.organization("Moisson Saguenay–Lac-Saint-Jean", "02")
    service = f.service("Banque alimentaire", org, terms=[f.sub_terms()[0]])
    list(DirectoryRepository(get_settings().directory_table).bulk_load([org], [service]))
    agent = token("agent", regions=("02",))
    cid = body(post(api, "/contacts", {"channel": "chat", "territory": {"region": "02"}}, agent))["id"]
    sal = service.service_at_locations[0].id
    given = post(api, f"/contacts/{cid}/referrals", {"service_at_location_id": sal}, agent)
    assert given.status_code == 201 and body(given)["service_id"] == service.id
    assert post(api, f"/contacts/{cid}/referrals", {"service_id": service.id}, agent).status_code == 201
    unknown = post(api, f"/contacts/{cid}/referrals", {"service_id": f.uid("nothing")}, agent)
    assert unknown.status_code == 422 and body(unknown)["error"]["code"] == "unknown_service"
    assert post(api, f"/contacts/{cid}/referrals", {}, agent).status_code == 400
    referral = [e for e in analytics_events(aws) if e["detail-type"] == "ReferralGiven"][0]["detail"]
    assert referral["service_at_location_id"] == sal and referral["service_region"] == "02"
    assert referral["organization_id"] == org.id  # the referrals table counts by the organisation of that day
    assert body(api.http.get(f"/contacts/{cid}", headers=auth(agent)))["counts"]["referrals"] == 2


def test_unknown_categories_are_422_and_bad_bodies_400(api: Any, token: Any) -> None:
    agent = token("agent", regions=("02",))
    cid = body(post(api, "/contacts", {"channel": "phone", "territory": {"region": "02"}}, agent))["id"]
    unknown = post(api, f"/contacts/{cid}/needs", {"categories": ["FOOD", "NOT-A-CATEGORY"]}, agent)
    assert unknown.status_code == 422 and body(unknown)["error"]["details"][0]["field"] == "categories[1]"
    assert (
        post(api, f"/contacts/{cid}/unmet_needs", {"category": "zzz", "reason": "full"}, agent).status_code
        == 422
    )
    assert (
        post(api, f"/contacts/{cid}/unmet_needs", {"category": "FOOD", "reason": "bored"}, agent).status_code
        == 400
    )
    assert post(api, f"/contacts/{cid}/needs", {"categories": []}, agent).status_code == 400
    assert post(api, f"/contacts/{cid}/close", {"outcome": "fine"}, agent).status_code == 400
    assert post(api, "/contacts", {"channel": "fax"}, agent).status_code == 400
    assert post(api, "/contacts", {"channel": "phone", "notes": "free text"}, agent).status_code == 400
    assert (
        body(api.http.get(f"/contacts/{cid}", headers=auth(agent)))["counts"]["needs"] == 0
    )  # nothing half-done


def test_a_closed_contact_takes_nothing_more(api: Any, token: Any) -> None:
    agent = token("agent", regions=("02",))
    cid = body(post(api, "/contacts", {"channel": "phone", "territory": {"region": "02"}}, agent))["id"]
    assert post(api, f"/contacts/{cid}/close", {"outcome": "information_given"}, agent).status_code == 200
    for path, payload in [
        ("needs", {"categories": ["FOOD"]}),
        ("unmet_needs", {"category": "FOOD", "reason": "cost"}),
        ("referrals", {"service_id": f.uid("x")}),
        ("close", {"outcome": "other"}),
    ]:
        response = post(api, f"/contacts/{cid}/{path}", payload, agent)
        assert response.status_code == 409, path
        assert body(response)["error"]["code"] == "contact_closed"


def test_agents_reach_only_their_regions_contacts(api: Any, token: Any) -> None:
    slsj = token("agent", regions=("02",), username="slsj")
    laval = token("agent", regions=("13",), username="laval")
    centre = token("agent", regions=tuple(f"{n:02d}" for n in range(1, 18)), username="centre")
    cid = body(post(api, "/contacts", {"channel": "phone", "territory": {"postal_code": "G8B 3L2"}}, slsj))[
        "id"
    ]
    # an agent of another region can neither read nor add to it
    assert api.http.get(f"/contacts/{cid}", headers=auth(laval)).status_code == 403
    assert post(api, f"/contacts/{cid}/needs", {"categories": ["FOOD"]}, laval).status_code == 403
    assert post(api, f"/contacts/{cid}/close", {"outcome": "other"}, laval).status_code == 403
    # nor open a contact for a territory outside its scope
    assert (
        post(api, "/contacts", {"channel": "phone", "territory": {"region": "02"}}, laval).status_code == 403
    )
    # a contact of unknown territory belongs to the common centre
    unknown = body(post(api, "/contacts", {"channel": "chat"}, centre))["id"]
    assert api.http.get(f"/contacts/{unknown}", headers=auth(slsj)).status_code == 403
    assert post(api, "/contacts", {"channel": "chat"}, slsj).status_code == 403
    # the common centre, which also answers Saguenay on weekends, and platform admins reach everything
    assert api.http.get(f"/contacts/{cid}", headers=auth(centre)).status_code == 200
    assert api.http.get(f"/contacts/{unknown}", headers=auth(token("platform-admin"))).status_code == 200
    # other roles never reach contacts
    for other in (token("region-admin", regions=("02",)), token("analyst", regions=("02",))):
        assert api.http.get(f"/contacts/{cid}", headers=auth(other)).status_code == 403
        assert (
            post(api, "/contacts", {"channel": "phone", "territory": {"region": "02"}}, other).status_code
            == 403
        )
    assert api.http.get(f"/contacts/{cid}").status_code == 401
    assert api.http.get("/contacts/not-a-uuid", headers=auth(slsj)).status_code == 404
    assert api.http.get(f"/contacts/{f.uid('missing')}", headers=auth(slsj)).status_code == 404


def test_repeat_callers_are_counted_without_keeping_their_number(
    api: Any,
    aws: dict[str, str],
    token: Any,
    hashed: None,
    capfd: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent = token("agent", regions=("02",))
    # GIVEN the same person calls twice (written differently), and someone else once
    first = body(
        post(
            api,
            "/contacts",
            {"channel": "phone", "caller_number": CALLER, "territory": {"postal_code": "G8B 3L2"}},
            agent,
        )
    )
    second = body(
        post(
            api,
            "/contacts",
            {"channel": "phone", "caller_number": "418-555-0142", "territory": {"region": "02"}},
            agent,
        )
    )
    other = body(
        post(
            api,
            "/contacts",
            {"channel": "phone", "caller_number": "+1 418 555 0199"},
            token("agent", regions=tuple(f"{n:02d}" for n in range(1, 18))),
        )
    )
    # THEN the second call is known as a repeat, the others are not
    assert (first["repeat_caller"], second["repeat_caller"], other["repeat_caller"]) == (False, True, False)
    assert second["previous_contacts"] == 1
    # AND a malformed number is refused without being echoed back
    refused = post(api, "/contacts", {"channel": "phone", "caller_number": "4185550142" * 4}, agent)
    assert refused.status_code == 400 and b"4185550142" not in refused.body
    # AND the number is nowhere: not in any table, event or log line
    everything = json.dumps(table_items(aws["REFERRAL211_CHANNELS_TABLE"]))
    everything += json.dumps(analytics_events(aws))
    captured = capfd.readouterr()
    everything += captured.out + captured.err + caplog.text
    assert "contact started" in everything  # the logs were captured, and they are clean
    for form in CALLER_DIGITS:
        assert form not in everything, form
    started = [
        e for e in json.loads(json.dumps(analytics_events(aws)))
    ]  # already drained: nothing left behind
    assert started == []


def test_without_a_key_numbers_are_not_even_hashed(api: Any, aws: dict[str, str], token: Any) -> None:
    agent = token("agent", regions=("02",))
    contact = body(
        post(
            api,
            "/contacts",
            {"channel": "phone", "caller_number": CALLER},
            token("agent", regions=tuple(f"{n:02d}" for n in range(1, 18))),
        )
    )
    assert contact["repeat_caller"] is None
    assert not [
        i for i in table_items(aws["REFERRAL211_CHANNELS_TABLE"]) if i["PK"]["S"].startswith("CALLER#")
    ]
    assert agent  # the regional agent token is unused here on purpose: the contact's territory is unknown


def test_expired_contacts_are_gone_even_before_ttl_deletes_them(
    api: Any, aws: dict[str, str], token: Any
) -> None:
    from shared.aws.clients import client

    agent = token("agent", regions=("02",))
    cid = body(post(api, "/contacts", {"channel": "phone", "territory": {"region": "02"}}, agent))["id"]
    client("dynamodb").update_item(
        TableName=aws["REFERRAL211_CHANNELS_TABLE"],
        Key={"PK": {"S": f"CONTACT#{cid}"}, "SK": {"S": "CONTACT"}},
        UpdateExpression="SET expires_at = :past",
        ExpressionAttributeValues={":past": {"N": "1000"}},
    )
    assert api.http.get(f"/contacts/{cid}", headers=auth(agent)).status_code == 404
    assert post(api, f"/contacts/{cid}/needs", {"categories": ["FOOD"]}, agent).status_code == 404

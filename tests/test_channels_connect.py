"""Amazon Connect: the flow function and the contact-event consumer, fed with fixtures written from AWS's
documentation (tests/events/)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import EVENTS_DIR, load_event

MTL = ZoneInfo("America/Montreal")
WEDNESDAY_10H = datetime(2026, 11, 4, 10, 0, tzinfo=MTL)
CALLER_FORMS = ("+14185550142", "4185550142", "personne@example.org")
FLOW_FIXTURES = sorted(p.name for p in EVENTS_DIR.glob("connect_flow_*.json"))
LIFE = [
    f"connect_event_call_{n}"
    for n in ("1_initiated", "2_queued", "3_disconnected_abandoned", "4_completed_abandoned")
]


@pytest.fixture(autouse=True)
def _fresh_caches() -> None:
    from functions.connect_events import _consumer
    from shared.channels.region_store import clear_cache

    clear_cache()
    _consumer.cache_clear()


def flow(event: Any, now: datetime = WEDNESDAY_10H) -> dict[str, str]:
    from functions.connect_contact_flow import handle

    return handle(event, None, now=now)


def sqs(*envelopes: Any) -> dict[str, Any]:
    records = []
    for n, envelope in enumerate(envelopes):
        records.append(
            {
                "messageId": f"m-{n}-{uuid.uuid4().hex[:8]}",
                "receiptHandle": f"r-{n}",
                "body": envelope if isinstance(envelope, str) else json.dumps(envelope),
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": "1767225600000",
                    "SenderId": "AIDAEXAMPLE",
                    "ApproximateFirstReceiveTimestamp": "1767225600000",
                },
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": "arn:aws:sqs:ca-central-1:123456789012:referral211-test-connect-events",
                "awsRegion": "ca-central-1",
            }
        )
    return {"Records": records}


def consume(*envelopes: Any) -> dict[str, Any]:
    from functions.connect_events import handle

    return handle(sqs(*envelopes))


def platform_events(aws: dict[str, str]) -> list[dict[str, Any]]:
    from tests.test_channels_api import analytics_events

    return [e for e in analytics_events(aws) if e["source"] == "referral211.channels"]


# ---- the flow function ----------------------------------------------------------------------------------------


def test_every_documented_flow_event_gets_a_flat_map_of_strings(aws: dict[str, str]) -> None:
    for fixture in FLOW_FIXTURES:
        out = flow(load_event(fixture))
        assert out["route"] in ("regional_team", "common_centre", "closed", "unavailable"), fixture
        assert out["error"] == "", fixture
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in out.items())
        assert len(json.dumps(out).encode()) < 32 * 1024
        assert not any(form in json.dumps(out) for form in CALLER_FORMS)


def test_a_call_from_alma_goes_to_the_regional_team_in_french(aws: dict[str, str]) -> None:
    out = flow(load_event("connect_flow_voice_inbound.json"))
    assert (out["route"], out["open"], out["region"], out["fsa"], out["language"]) == (
        "regional_team",
        "true",
        "02",
        "G8B",
        "fr",
    )
    assert out["queue_arn"].startswith("arn:aws:connect:") and "Saguenay" in out["message"]


def test_a_chat_from_laval_in_english_goes_to_the_common_centre(aws: dict[str, str]) -> None:
    out = flow(load_event("connect_flow_chat_api.json"))
    assert (out["route"], out["channel"], out["region"], out["language"]) == (
        "common_centre",
        "chat",
        "13",
        "en",
    )
    assert out["message"].startswith("We are connecting you")


def test_tasks_emails_and_unknown_channels_are_tolerated(aws: dict[str, str]) -> None:
    task = flow(load_event("connect_flow_task.json"))
    assert (task["route"], task["reason"], task["channel"]) == ("common_centre", "task", "task")
    email = flow(load_event("connect_flow_email.json"))
    assert (email["channel"], email["region"], email["fsa"]) == ("chat", "13", "H7N")  # written: chat rules
    video = flow(load_event("connect_flow_unknown_method.json"))
    assert (video["channel"], video["route"], video["reason"]) == ("phone", "common_centre", "unknown_place")
    placeholders = flow(load_event("connect_flow_voice_doc_placeholders.json"))  # "Voice", Queue as a string
    assert placeholders["channel"] == "phone" and placeholders["route"] == "common_centre"


def test_garbage_never_breaks_the_flow(aws: dict[str, str]) -> None:
    for event in [
        None,
        {},
        {"Details": None},
        {"Details": {"ContactData": None}},
        "text",
        [],
        {"Details": {"ContactData": {"Attributes": None, "Channel": 7, "ContactId": 12}}},
    ]:
        out = flow(event)
        assert out["route"] == "common_centre" and out["error"] == "", event
        assert all(isinstance(v, str) for v in out.values())


def test_a_closed_line_says_when_it_opens_again(aws: dict[str, str]) -> None:
    event = load_event("connect_flow_voice_inbound.json")
    out = flow(event, now=datetime(2026, 11, 4, 20, 0, tzinfo=MTL))
    assert (out["route"], out["reason"]) == ("closed", "outside_hours")
    assert out["next_opening_speech"] == "demain à 8 h" and "demain à 8 h" in out["message"]
    event["Details"]["Parameters"]["language"] = "en"
    out = flow(event, now=datetime(2026, 12, 25, 10, 0, tzinfo=MTL))
    assert out["reason"] == "holiday" and out["message"] == (
        "2-1-1 is closed today for a holiday. We will be back tomorrow at 8 a.m."
    )


def test_a_web_only_region_points_to_the_web_directory(aws: dict[str, str]) -> None:
    from shared.channels.region_config import default_configs

    web_only = next(
        c.code
        for c in default_configs().values()
        if c.code != "common" and c.line("phone").live_since is None
    )
    event = load_event("connect_flow_chat_api.json")
    event["Details"]["ContactData"]["Channel"] = "VOICE"
    event["Details"]["ContactData"]["Attributes"]["region"] = web_only
    out = flow(event)
    assert out["route"] == "unavailable" and "2-1-1 q c dot c a" in out["message"]


def test_the_flow_names_resources_as_short_spoken_sentences() -> None:
    # GIVEN the search engine's answer (replaced here: only the flow's wording is under test)
    from shared.channels.connect_flow import answer
    from shared.channels.region_config import default_configs
    from shared.channels.resources import ResourceAnswer, SpokenResource

    def finder(**kwargs: Any) -> ResourceAnswer:
        assert kwargs["territory"].fsa == "G8B"
        return ResourceAnswer(
            status="found",
            items=tuple(
                SpokenResource(
                    service_id=str(n),
                    service_at_location_id=None,
                    phone=None,
                    text=f"Ressource {n}, 100 rue Sacré-Cœur, Alma. Téléphone : 418 555 0142.",
                )
                for n in range(1, 4)
            ),
        )

    out, _, _ = answer(
        load_event("connect_flow_voice_inbound.json"),
        default_configs(),
        now=WEDNESDAY_10H,
        find_resources=finder,
    )
    assert (out["resources_status"], out["resource_count"]) == ("found", "3")
    assert out["resource_3"].startswith("Ressource 3") and out["resources_message"].startswith(
        "Voici 3 ressources"
    )
    unknown = load_event("connect_flow_voice_inbound.json")
    unknown["Details"]["Parameters"]["category"] = "NOT-A-CATEGORY"
    out, _, _ = answer(unknown, default_configs(), now=WEDNESDAY_10H, find_resources=finder)
    assert out["resources_status"] == "unknown_category"


@pytest.fixture
def searchable_directory(aws: dict[str, str]) -> Any:
    """GIVEN food services in Saguenay–Lac-Saint-Jean, in the directory table and in a search index."""
    from shared.channels.resources import search_available

    if not search_available():
        pytest.skip("shared/search/engine.py (the search engine) is not in this tree yet")
    from shared.config import get_settings
    from shared.directory.repository import DirectoryRepository
    from shared.search import engine
    from shared.search.index import build_index, load_index
    from shared.search.store import StaticIndexProvider
    from tests import factories as f

    food_bank = f.sub_terms()[0]
    org = f.organization("Moisson Saguenay–Lac-Saint-Jean", "02")
    services = [
        f.service(name, org, terms=[food_bank])
        for name in ("Banque alimentaire", "Dépannage alimentaire", "Cuisine collective", "Popote roulante")
    ]
    list(DirectoryRepository(get_settings().directory_table).bulk_load([org], services))
    built = build_index("02", services, [org])
    engine.set_default_engine(
        engine.SearchEngine(StaticIndexProvider({"02": load_index(built.data, version="test")}))
    )
    yield services
    engine.set_default_engine(None)


def test_the_flow_finds_open_resources_with_the_search_engine(searchable_directory: Any) -> None:
    # WHEN a caller from Alma asks for food (menu 1) on a Wednesday morning
    out = flow(load_event("connect_flow_voice_inbound.json"))
    # THEN three open resources nearby, as short sentences
    assert (out["resources_status"], out["resource_count"]) == ("found", "3"), out
    for n in (1, 2, 3):
        assert "Alma" in out[f"resource_{n}"] and "Téléphone : 418 555 0142" in out[f"resource_{n}"]
        assert len(out[f"resource_{n}"]) <= 240
    # AND none at night, said so
    night = flow(load_event("connect_flow_voice_inbound.json"), now=datetime(2026, 11, 4, 21, 0, tzinfo=MTL))
    assert (night["resources_status"], night["resource_count"]) == ("none", "0")
    assert night["resources_message"].startswith("Aucune ressource")


def test_spoken_resources_read_well() -> None:
    from shared.channels.resources import speak, spoken_phone
    from tests import factories as f

    service = f.service("Banque alimentaire", f.organization("Moisson SLSJ"), name_en="Food bank")
    spoken = speak(service, service.service_at_locations[0].id, "en", distance_m=2300)
    assert spoken.text == "Food bank, 100, rue Sacré-Cœur Ouest, Alma, 2.3 km away. Phone: 418 555 0142."
    assert spoken_phone("+1 (418) 555-0142") == "418 555 0142"


def test_the_flow_keeps_no_caller_number(
    aws: dict[str, str], capfd: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    from tests.test_channels_api import table_items

    for fixture in FLOW_FIXTURES:
        flow(load_event(fixture))
    captured = capfd.readouterr()
    everything = json.dumps(table_items(aws["REFERRAL211_CHANNELS_TABLE"])) + captured.out + caplog.text
    assert "contact flow answered" in everything
    for form in CALLER_FORMS:
        assert form not in everything


# ---- the contact-event consumer -----------------------------------------------------------------------------


def test_a_call_abandoned_in_queue_becomes_platform_events(aws: dict[str, str]) -> None:
    # GIVEN the flow routed the call from Alma (it records the contact's territory and language)
    flow(load_event("connect_flow_voice_inbound.json"))
    # WHEN Connect reports its life: initiated, queued, hung up before an agent, completed
    response = consume(*(load_event(f"{name}.json") for name in LIFE))
    # THEN four platform events, coarse, with the territory the flow found
    assert response == {"batchItemFailures": []}
    events = platform_events(aws)
    assert [e["detail-type"] for e in events] == [
        "ContactStarted",
        "ContactQueued",
        "ContactDisconnected",
        "ContactClosed",
    ]
    details = [e["detail"] for e in events]
    assert all(
        (d["origin"], d["channel"], d["region"], d["fsa"], d["language"])
        == ("connect", "phone", "02", "G8B", "fr")
        for d in details
    )
    assert details[0]["initiation"] == "inbound"
    assert details[1]["route"] == "regional_team"
    assert details[2]["abandoned"] is True and details[2]["wait_seconds"] == 195
    assert details[2]["duration_seconds"] == 225
    assert details[3]["outcome"] == "abandoned"
    text = json.dumps(events)
    assert "4a573372-1f28-4e26-b97b-6e211c0a0001" not in text and "+18005550211" not in text


def test_duplicates_and_disorder_publish_each_event_once(aws: dict[str, str]) -> None:
    envelopes = [load_event(f"{name}.json") for name in LIFE]
    # WHEN the events arrive backwards, then all again
    consume(*reversed(envelopes))
    consume(*envelopes)
    consume(envelopes[2])
    events = platform_events(aws)
    assert sorted(e["detail-type"] for e in events) == sorted(
        ["ContactStarted", "ContactQueued", "ContactDisconnected", "ContactClosed"]
    )
    disconnected = next(e["detail"] for e in events if e["detail-type"] == "ContactDisconnected")
    assert disconnected["abandoned"] is True  # decided from the event's own queueInfo, whatever came first
    assert (
        disconnected["region"] is None
    )  # no flow ran for this contact here: territory unknown, never guessed


def test_answered_calls_in_either_key_case(aws: dict[str, str]) -> None:
    camel, pascal = (
        load_event(name)
        for name in ("connect_event_connected_to_agent.json", "connect_event_connected_pascal_case.json")
    )
    assert consume(camel, pascal) == {"batchItemFailures": []}
    events = platform_events(aws)
    assert [e["detail-type"] for e in events] == ["ContactAnswered", "ContactAnswered"]
    for event in events:
        assert event["detail"]["wait_seconds"] == 5
        assert event["detail"]["occurred_at"].startswith("2021-08-04T17:29:09")


def test_a_disconnect_after_an_agent_is_not_abandoned(aws: dict[str, str]) -> None:
    consume(load_event("connect_event_disconnected_outbound.json"))
    (event,) = platform_events(aws)
    assert event["detail-type"] == "ContactDisconnected" and event["detail"]["abandoned"] is False


def test_unknown_or_foreign_events_are_acknowledged_and_ignored(aws: dict[str, str]) -> None:
    updated = load_event("connect_event_contact_data_updated.json")
    future = load_event("connect_event_call_1_initiated.json")
    future["detail"]["eventType"] = "SOMETHING_NEW"
    task = load_event("connect_event_call_1_initiated.json")
    task["detail"]["channel"] = "TASK"
    foreign = {"source": "aws.ec2", "detail-type": "EC2 Instance State-change Notification", "detail": {}}
    response = consume(updated, future, task, foreign, "not json", {"detail": None}, [])
    assert response == {"batchItemFailures": []}
    assert platform_events(aws) == []


def test_a_failed_publish_is_retried_later(aws: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    from shared.aws.event_bus import EventPublisher, PublishOutcome

    real = EventPublisher.publish
    monkeypatch.setattr(EventPublisher, "publish", lambda self, events: PublishOutcome(published=0, failed=1))
    first = load_event(f"{LIFE[0]}.json")
    response = consume(first, load_event("connect_event_contact_data_updated.json"))
    assert len(response["batchItemFailures"]) == 1  # only the INITIATED record comes back
    monkeypatch.setattr(EventPublisher, "publish", real)
    assert consume(first) == {"batchItemFailures": []}
    assert [e["detail-type"] for e in platform_events(aws)] == ["ContactStarted"]


def test_the_rule_on_the_default_bus_feeds_the_consumer_queue(aws: dict[str, str]) -> None:
    from shared.aws.clients import client

    event = load_event(f"{LIFE[0]}.json")
    client("events").put_events(
        Entries=[
            {
                "Source": event["source"],
                "DetailType": event["detail-type"],
                "Detail": json.dumps(event["detail"]),
                "EventBusName": "default",
            }
        ]
    )
    from shared.local_stack.aws import stack_outputs

    url = stack_outputs("test")["ConnectEventsQueueUrl"]
    messages = client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(messages) == 1
    assert consume(json.loads(messages[0]["Body"])) == {"batchItemFailures": []}
    assert [e["detail-type"] for e in platform_events(aws)] == ["ContactStarted"]


def test_fixtures_are_valid_json_written_from_the_documentation() -> None:
    names = [p.name for p in Path(EVENTS_DIR).glob("connect_*.json")]
    assert len(names) >= 10
    for name in names:
        assert isinstance(load_event(name), dict)

"""The analyst API on moto: roles and region scopes, Query never Scan, CSV for French Excel, suppression that
survives subtraction, and no personal data in any answer."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.config import get_settings
from tests.analytics_stream import FOOD_BANK, FOOD_EMERG, contact_event, lookup, sqs_batch


def feed(events: list[dict[str, Any]]) -> None:
    """Counted through the aggregator (exactly-once path)."""
    from shared.analytics.aggregator import handle_batch
    from shared.analytics.counters import StatsStore

    for start in range(0, len(events), 500):
        outcome = handle_batch(
            sqs_batch(events[start : start + 500]),
            None,
            store=StatsStore(get_settings().stats_table),
            log=None,
        )
        assert outcome.response == {"batchItemFailures": []}


def seed(events: list[dict[str, Any]]) -> None:
    """Counters written directly (fast): the API tests are about reading; the aggregator has its own tests."""
    from shared.analytics.counters import combine, counter_item
    from shared.analytics.stream import parse_envelope
    from shared.aws.dynamodb import Table

    combined = combine(i for e in events for i in parse_envelope(e).increments)
    items = [counter_item(key, cells, 1) for key, cells in combined.items()]
    for _ in Table(get_settings().stats_table).batch_put(items):
        pass


def get(api: Any, path: str, token: str | None) -> Any:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/csv"} if token else {}
    return api.http.get(path, headers=headers)


def body(response: Any) -> Any:
    return json.loads(response.body)


@pytest.fixture
def year_of_requests(aws: dict[str, str]) -> None:
    """GIVEN 2026 in regions 02 and 06: lookups every day on the web, a few phone lookups, rare chats."""
    events = []
    start = datetime(2026, 1, 1, 15, tzinfo=UTC)
    for day in range(365):
        when = start + timedelta(days=day)
        events += [lookup(region="02", channel="web", when=when) for _ in range(6)]
        events += [lookup(region="06", channel="web", when=when) for _ in range(2)]
        if day % 7 == 0:
            events += [lookup(region="02", channel="phone", when=when) for _ in range(2)]
    events += [
        lookup(region="02", channel="chat", when=datetime(2026, 3, 3, 15, tzinfo=UTC)) for _ in range(2)
    ]
    seed(events)


def test_an_analyst_reads_a_year_of_daily_requests_with_one_query_and_no_scan(
    api: Any, token: Any, year_of_requests: None, aws_calls: Any
) -> None:
    aws_calls.reset()
    # WHEN an analyst of region 02 asks a year of daily requests
    response = get(
        api,
        "/stats/requests?region=02&from=2026-01-01&to=2026-12-31&granularity=day&group_by=channel",
        token("analyst", regions=("02",)),
    )
    # THEN it answers from one Query, never a Scan
    assert response.status_code == 200, response.body
    calls = aws_calls.of("dynamodb")
    assert calls == {"Query": 1}
    rows = body(response)["rows"]
    web = [r for r in rows if r["channel_code"] == "web"]
    assert len(web) == 365 and all(r["lookups"] in (6, None) for r in web)
    # (a day with one phone lookup hides it and, as its complement, the day's web count; that web count is
    # then
    # alone in its ISO week, so another web day of the week is hidden too)
    assert sum(r["lookups"] is None for r in web) == 2 * 53


def test_a_regional_analyst_cannot_read_another_region_nor_the_unknown_one(
    api: Any, token: Any, year_of_requests: None
) -> None:
    analyst = token("analyst", regions=("02",))
    refused = get(api, "/stats/requests?region=06", analyst)
    assert refused.status_code == 403
    assert body(refused)["error"]["code"] == "forbidden"
    assert get(api, "/stats/requests?region=00", analyst).status_code == 403
    # WHEN no region is named THEN only the analyst's own regions come back
    rows = body(get(api, "/stats/requests?granularity=month&from=2026-01&to=2026-12", analyst))["rows"]
    assert {r["region"] for r in rows} == {"02"}


@pytest.mark.parametrize("roles", [(), ("agent",), ("region-admin",)])
def test_other_roles_are_refused(api: Any, token: Any, aws: dict[str, str], roles: tuple[str, ...]) -> None:
    for path in ("/stats", "/stats/requests"):
        assert get(api, path, token(*roles, regions=("02",))).status_code == 403


def test_no_token_is_401_and_bad_parameters_are_400_never_500(
    api: Any, token: Any, aws: dict[str, str]
) -> None:
    assert get(api, "/stats", None).status_code == 401
    admin = token("platform-admin")
    for query in (
        "granularity=hour",
        "from=2026-13",
        "from=2026-05-01&to=2026-01-01",
        "group_by=nothing",
        "format=xlsx",
        "sep=|",
        "region=99",
        "bogus=1",
        "granularity=day&from=2026-01",
    ):
        path = "/stats/needs?" + query
        response = get(api, path, admin)
        assert response.status_code == 400, (query, response.body)
        assert set(body(response)["error"]) == {"code", "message", "details"}
    assert get(api, "/stats/nothing", admin).status_code == 404
    # A reversed period names the parameter and says why in both languages.
    reversed_period = body(get(api, "/stats/needs?from=2026-05-01&to=2026-01-01", admin))["error"]["details"]
    assert reversed_period == [
        {"parameter": "from", "reason": "from must not be after to", "reason_fr": "from ne doit pas être après to"}
    ]


def test_the_catalogue_lists_tables_dimensions_and_measures_in_english(
    api: Any, token: Any, aws: dict[str, str]
) -> None:
    answer = body(get(api, "/stats?lang=en", token("analyst", regions=("02",))))
    tables = {t["name"]: t for t in answer["tables"]}
    assert set(tables) >= {
        "requests",
        "needs",
        "unmet_needs",
        "referrals",
        "lookups_without_results",
        "lookups_by_category",
        "contacts",
    }
    assert {d["name"] for d in tables["needs"]["dimensions"]} >= {
        "period",
        "region",
        "category",
        "subcategory",
        "territory",
    }
    assert tables["requests"]["title"].startswith("Requests")


def test_csv_opens_in_french_excel(api: Any, token: Any, year_of_requests: None) -> None:
    response = get(
        api,
        "/stats/requests?region=02&from=2026-03&to=2026-03&granularity=month&format=csv",
        token("analyst", regions=("02",)),
    )
    assert response.status_code == 200, response.body
    assert response.headers["Content-Type"].startswith("text/csv")
    raw = response.body if isinstance(response.body, bytes) else response.body.encode("utf-8")
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Période", "Région", "Nom de la région"]
    assert "Recherches" in rows[0] and "Part (%)" in rows[0]
    web = next(r for r in rows if "Web" in r)
    assert web[rows[0].index("Recherches")] == str(6 * 31)
    assert "," in web[rows[0].index("Part (%)")]  # decimal comma
    english = get(
        api,
        "/stats/requests?region=02&from=2026-03&to=2026-03&granularity=month&format=csv&sep=,&lang=en",
        token("analyst", regions=("02",)),
    )
    header = next(csv.reader(io.StringIO(english.body.decode("utf-8-sig")), delimiter=","))
    assert header[:2] == ["Period", "Region"]


def test_small_cells_are_suppressed_and_subtraction_reveals_none(
    api: Any, token: Any, year_of_requests: None
) -> None:
    analyst = token("analyst", regions=("02",))
    # WHEN March is read by channel, and again as a total over channels
    by_channel = body(
        get(api, "/stats/requests?region=02&from=2026-03&to=2026-03&granularity=month", analyst)
    )
    total = body(
        get(api, "/stats/requests?region=02&from=2026-03&to=2026-03&granularity=month&group_by=", analyst)
    )
    cells = {r["channel_code"]: r for r in by_channel["rows"]}
    # THEN the 2 chats are hidden, and so is a complement: the total minus what is visible spans two cells
    assert cells["chat"]["lookups"] is None and cells["chat"]["share"] is None
    hidden = [c for c, r in cells.items() if r["lookups"] is None]
    assert len(hidden) >= 2
    visible = sum(r["lookups"] for r in cells.values() if r["lookups"] is not None)
    truth = {"web": 6 * 31, "phone": 2 * 4, "chat": 2}
    assert hidden == ["phone", "chat"] or set(hidden) == {"phone", "chat"}  # phone (8) is the complement
    assert total["rows"][0]["lookups"] - visible == sum(truth[c] for c in hidden)
    # AND the shares were computed before suppression
    assert cells["web"]["share"] == round(100 * 186 / 196, 1)


def test_a_suppressed_day_cannot_be_recovered_from_its_month(
    api: Any, token: Any, year_of_requests: None
) -> None:
    analyst = token("analyst", regions=("02",))
    days = body(
        get(
            api,
            "/stats/requests?region=02&from=2026-04-01&to=2026-04-30&granularity=day&group_by=channel",
            analyst,
        )
    )["rows"]
    month = body(
        get(
            api,
            "/stats/requests?region=02&from=2026-04&to=2026-04&granularity=month&group_by=channel",
            analyst,
        )
    )["rows"]
    phone_days = [r for r in days if r["channel_code"] == "phone"]
    assert all(r["lookups"] is None for r in phone_days)  # two phone lookups a week: all below 5
    phone_month = next(r for r in month if r["channel_code"] == "phone")
    # the month's phone total (10, or hidden as the complement of March's along the year) minus visible days
    # never isolates one day: five days are hidden
    assert phone_month["lookups"] in (10, None) and len(phone_days) == 5
    # AND a narrower range suppresses exactly the same cells (the canonical block does not move)
    narrow = body(
        get(
            api,
            "/stats/requests?region=02&from=2026-04-06&to=2026-04-12&granularity=day&group_by=channel",
            analyst,
        )
    )["rows"]
    by_key = {(r["period"], r["channel_code"]): r["lookups"] for r in days}
    assert all(by_key[(r["period"], r["channel_code"])] == r["lookups"] for r in narrow)


def test_rare_search_terms_are_never_printed(api: Any, token: Any, aws: dict[str, str]) -> None:
    when = datetime(2026, 4, 2, 15, tzinfo=UTC)
    events = [lookup(region="03", results=0, search_term="banque alimentaire", when=when) for _ in range(7)]
    events += [lookup(region="03", results=0, search_term="jean tremblay", when=when)]
    events += [lookup(region="03", results=0, search_term="popote", when=when) for _ in range(6)]
    feed(events)
    response = get(
        api,
        "/stats/lookups_without_results?region=03&from=2026-04&to=2026-04&group_by=search_term",
        token("analyst", regions=("03",)),
    )
    text = response.body.decode() if isinstance(response.body, bytes) else response.body
    assert "jean tremblay" not in text
    rows = {r["search_term"]: r["lookups"] for r in body(response)["rows"]}
    # the rare term is merged into "other terms" (1: suppressed), and the smallest other term is its
    # complement
    assert rows == {"banque alimentaire": 7, "popote": None, "(autres termes, regroupés)": None}


def test_contact_tables_with_categories_and_durations(api: Any, token: Any, aws: dict[str, str]) -> None:
    when = datetime(2026, 5, 5, 15, tzinfo=UTC)
    events = [
        contact_event("NeedRecorded", region="02", fsa="G8B", taxonomy_term_ids=[FOOD_BANK], when=when)
        for _ in range(6)
    ]
    events += [
        contact_event("NeedRecorded", region="02", fsa="G8B", taxonomy_term_ids=[FOOD_EMERG], when=when)
        for _ in range(5)
    ]
    events += [
        contact_event(
            "UnmetNeedRecorded", region="02", taxonomy_term_id=FOOD_BANK, reason="too_far", when=when
        )
        for _ in range(5)
    ]
    events += [
        contact_event("ContactClosed", region="02", outcome="referred", duration_seconds=600, when=when)
        for _ in range(5)
    ]
    feed(events)
    analyst = token("analyst", regions=("02",))
    needs = body(get(api, "/stats/needs?region=02&from=2026-05&to=2026-05&group_by=category", analyst))[
        "rows"
    ]
    assert [(r["category"], r["needs"]) for r in needs] == [("Alimentation", 11)]
    sub = body(
        get(
            api,
            "/stats/needs?region=02&from=2026-05&to=2026-05&group_by=subcategory,territory&lang=en",
            analyst,
        )
    )["rows"]
    assert {(r["subcategory"], r["territory"], r["needs"]) for r in sub} == {
        ("Food banks", "G8B", 6),
        ("Emergency food assistance", "G8B", 5),
    }
    unmet = body(get(api, "/stats/unmet_needs?region=02&from=2026-05&to=2026-05&group_by=reason", analyst))[
        "rows"
    ]
    assert unmet[0]["reason_code"] == "too_far" and unmet[0]["unmet_needs"] == 5
    contacts = body(get(api, "/stats/contacts?region=02&from=2026-05&to=2026-05", analyst))["rows"]
    assert contacts[0]["contacts"] == 5 and contacts[0]["average_duration_minutes"] == 10.0
    assert "event_id" not in json.dumps(contacts)


def test_referrals_are_counted_by_the_organisation_named_when_they_were_given(
    api: Any, token: Any, aws: dict[str, str], aws_calls: Any
) -> None:
    from shared.directory.repository import DirectoryRepository
    from tests import factories as f

    # GIVEN two organisations of region 02 in the directory, with three services
    moisson = f.organization("Moisson Saguenay", "02")
    entraide = f.organization("Entraide Alma", "02")
    bank = f.service("Banque alimentaire", moisson, terms=[FOOD_BANK])
    meals = f.service("Repas communautaires", moisson, terms=[FOOD_EMERG])
    help_desk = f.service("Comptoir d'entraide", entraide, terms=[FOOD_BANK])
    repository = DirectoryRepository(get_settings().directory_table)
    list(repository.bulk_load([moisson, entraide], [bank, meals, help_desk]))
    when = datetime(2026, 5, 5, 15, tzinfo=UTC)

    def referral(service_id: str, organization_id: str | None, n: int) -> list[dict[str, Any]]:
        fields: dict[str, Any] = {"service_id": service_id, "taxonomy_term_ids": [FOOD_BANK], "when": when}
        if organization_id is not None:
            fields["organization_id"] = organization_id
        return [contact_event("ReferralGiven", region="02", **fields) for _ in range(n)]

    events = referral(bank.id, moisson.id, 5) + referral(meals.id, moisson.id, 4)
    # a service that belonged to Moisson when referred, run by Entraide since: still Moisson's referrals
    events += referral(help_desk.id, moisson.id, 5)
    events += referral(help_desk.id, entraide.id, 6)
    # events published before they named the organisation: attributed through the directory when read
    events += referral(help_desk.id, None, 2)
    # a service and an organisation since removed from the directory
    events += referral(f.uid("closed service"), None, 3) + referral(f.uid("closed service"), f.uid("gone"), 3)
    feed(events)
    aws_calls.reset()
    # WHEN an analyst reads May's referrals by organisation
    rows = body(
        get(
            api,
            "/stats/referrals?region=02&from=2026-05&to=2026-05&group_by=organization",
            token("analyst", regions=("02",)),
        )
    )["rows"]
    # THEN each organisation counts the referrals given to it, named from the directory, its id as the code
    found = {(r["organization_code"], r["organization"]): r["referrals"] for r in rows}
    assert found == {
        (moisson.id, "Moisson Saguenay"): 14,
        (entraide.id, "Entraide Alma"): 8,
        ("-", "(organisme inconnu)"): None,  # 3 each: under the threshold
        (f.uid("gone"), "(organisme inconnu)"): None,
    }
    # AND the names cost one Query for the counters and a BatchGetItem per kind of directory record, no Scan
    assert aws_calls.of("dynamodb") == {"Query": 1, "BatchGetItem": 2}
    by_category = body(
        get(
            api,
            "/stats/referrals?region=02&from=2026-05&to=2026-05&group_by=category,organization&lang=en",
            token("analyst", regions=("02",)),
        )
    )["rows"]
    assert {(r["category"], r["organization"], r["referrals"]) for r in by_category if r["referrals"]} == {
        ("Food", "Moisson Saguenay", 14),
        ("Food", "Entraide Alma", 8),
    }

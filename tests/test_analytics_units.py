"""Pure units of the social analysis: search-term scrubbing, suppression lines, rebuild equals live."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from shared.analytics.scrub import scrub_search_term
from shared.analytics.suppression import suppress


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Banque Alimentaire", "banque alimentaire"),
        ("Épicerie  SOLIDAIRE!!", "epicerie solidaire"),
        ("aide jean.tremblay@example.com 418-555-0101", "aide"),
        ("logement H2X 1Y4 près du 1234 rue Ontario", "logement pres du rue ontario"),
        ("https://211qc.ca/foo popote", "popote"),
        ("12345", None),
        ("", None),
        ("un deux trois quatre cinq six sept huit", "un deux trois quatre cinq six"),
    ],
)
def test_search_terms_are_scrubbed_of_personal_data(raw: str, kept: str | None) -> None:
    assert scrub_search_term(raw) == kept


def test_scrubbed_terms_fit_the_event_contract() -> None:
    from shared.event_contracts import LookupPerformed

    term = scrub_search_term("Aide alimentaire d'urgence à Saint-Jérôme, appeler 450 555 0101 " + "x" * 80)
    event = LookupPerformed(channel="web", route="services", language="fr", result_count=0, search_term=term)
    assert event.search_term == "aide alimentaire d'urgence a saint-jerome appeler"


def test_one_small_cell_in_a_line_gets_a_complement_and_chains_are_followed() -> None:
    # GIVEN a 2x2 table (rows a, b; columns x, y) with one small cell
    values = {("a", "x"): 3, ("a", "y"): 50, ("b", "x"): 40, ("b", "y"): 60}
    lines = [
        [("a", "x"), ("a", "y")],
        [("b", "x"), ("b", "y")],
        [("a", "x"), ("b", "x")],
        [("a", "y"), ("b", "y")],
    ]
    hidden = suppress(values, lines, threshold=5)
    # THEN every row and column holds 0 or at least 2 hidden cells: no margin minus visible cells reveals one
    assert hidden == set(values)
    for line in lines:
        assert len([k for k in line if k in hidden]) != 1


def test_zero_is_never_a_complement() -> None:
    assert suppress({"a": 2, "b": 0}, [["a", "b"]], threshold=5) == {"a"}


def test_rebuild_from_the_raw_log_gives_the_live_numbers(aws: dict[str, Any]) -> None:
    import random

    from shared.analytics.aggregator import handle_batch
    from shared.analytics.counters import StatsStore
    from shared.analytics.event_log import EventLog
    from shared.analytics.rebuild import rebuild
    from shared.config import get_settings
    from tests.analytics_stream import random_stream, redelivered, sqs_batch

    settings = get_settings()
    store, log = StatsStore(settings.stats_table), EventLog(settings.analytics_bucket)
    # GIVEN a live stream with duplicates, counted and logged
    events = random_stream(400, seed=5, days=40)
    stream = events + [redelivered(e) for e in random.Random(3).sample(events, 40)]
    for start in range(0, len(stream), 150):
        assert handle_batch(sqs_batch(stream[start : start + 150]), None, store=store, log=log).response == {
            "batchItemFailures": []
        }
    regions = ["00", "02", "03", "06", "13"]

    def snapshot() -> dict[str, Any]:
        return {
            (t, r): store.read_counters(t, r, "2025-12", "2026-03-31~")
            for t in ("requests", "lookups_by_category", "lookups_without_results", "contacts")
            for r in regions
        }

    live = snapshot()
    # WHEN the counters are damaged, then rebuilt from the log
    store.table.delete_items([("requests#06", live[("requests", "06")][0][0][:7] + "#0")])
    report = rebuild(date(2026, 1, 1), date(2026, 2, 28), store=store, log=log, regions=regions)
    # THEN the rebuilt tables equal the live ones, and a redelivery afterwards still counts nothing
    assert report.lines == 440 and report.duplicates == 40 and report.items_written == 1
    assert snapshot() == live
    handle_batch(sqs_batch([redelivered(events[0])]), None, store=store, log=log)
    assert snapshot() == live

"""The topic catalog: parsing, template expansion and checks against proto/."""

from __future__ import annotations

import pytest

from incidentbus.kernel.catalog import CatalogError, check_catalog, load_catalog, parse_catalog
from incidentbus.kernel.settings import BusSettings

MINIMAL = """
version = 1
agencies = ["police", "fire"]
[[template]]
name = "{agency}.events.v1"
key = "source_ref"
value = "incidentbus.v1.AgencyEvent"
producers = ["{agency}-service"]
consumers = ["correlator"]
[[topic]]
name = "case.events.v1"
key = "case_id"
value = "incidentbus.v1.CaseEvent"
retention_ms = -1
producers = ["correlator"]
consumers = ["auditor"]
"""


def test_the_shipped_catalog_has_no_problems() -> None:
    catalog = load_catalog(BusSettings().catalog_path)
    assert check_catalog(catalog) == []
    assert {"police.events.v1", "case.events.v1", "police.deadletters.v1"} <= {t.name for t in catalog.topics}


def test_every_dead_letter_writer_has_a_topic_of_its_own() -> None:
    catalog = load_catalog(BusSettings().catalog_path)
    shelves = {t.name: t.producers for t in catalog.dead_letter_topics()}
    assert shelves == {
        **{f"{a}.deadletters.v1": (f"{a}-service",) for a in catalog.agencies},
        "correlator.deadletters.v1": ("correlator",),
    }
    assert catalog.dead_letter_topic("police").name == "police.deadletters.v1"
    assert catalog.dead_letter_topic("correlator").name == "correlator.deadletters.v1"
    with pytest.raises(KeyError):
        catalog.dead_letter_topic("operator")
    assert catalog.logical("x.police.inbox.v1", "x.") == catalog.get("police.inbox.v1")
    assert catalog.logical("police.inbox.v1", "x.") is None
    assert catalog.logical("x.nope.v1", "x.") is None


LETTERS = """
[[topic]]
name = "bus.deadletters.v1"
key = "source topic"
value = "incidentbus.v1.DeadLetter"
producers = ["police-service", "correlator"]
consumers = ["operator"]
[[topic]]
name = "more.deadletters.v1"
key = "source topic"
value = "incidentbus.v1.DeadLetter"
producers = ["correlator"]
consumers = ["operator"]
"""


def test_a_shared_dead_letter_topic_is_a_problem() -> None:
    problems = check_catalog(parse_catalog(MINIMAL + LETTERS))
    assert "bus.deadletters.v1: a dead-letter topic needs exactly one producer (its writer)" in problems
    assert "more.deadletters.v1: correlator already writes dead letters to bus.deadletters.v1" in problems


COMMANDS = """
[[topic]]
name = "case.commands.v1"
key = "case_id"
value = "incidentbus.v1.AgencyEvent"
producers = ["operator", "police-service"]
consumers = ["correlator"]
"""


def test_a_topic_whose_writer_says_who_spoke_has_that_one_producer() -> None:
    shared = MINIMAL.replace(
        'producers = ["{agency}-service"]', 'producers = ["{agency}-service", "operator"]'
    )
    problems = check_catalog(parse_catalog(shared + COMMANDS))
    assert any(p.startswith("police.events.v1: its writer says who spoke") for p in problems), problems
    assert any(p.startswith("fire.events.v1: its writer says who spoke") for p in problems), problems
    assert any(p.startswith("case.commands.v1: its writer says who spoke") for p in problems), problems
    assert check_catalog(parse_catalog(MINIMAL)) == []


def test_templates_expand_per_agency_and_defaults_fill_in() -> None:
    catalog = parse_catalog(MINIMAL)
    fire = catalog.get("fire.events.v1")
    assert fire.producers == ("fire-service",)
    assert (fire.partitions, fire.retention_ms, fire.cleanup_policy) == (6, 604_800_000, "delete")
    assert catalog.get("case.events.v1").retention_ms == -1
    assert "fire-service" in catalog.principals()


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (("case.events.v1", "Case_Events"), "name does not follow"),
        (("incidentbus.v1.CaseEvent", "incidentbus.v1.Nope"), "does not exist in proto/"),
        (("incidentbus.v1.CaseEvent", "incidentbus.v1.Location"), "not a bus message"),
        (('name = "case.events.v1"', 'name = "police.events.v1"'), "declared twice"),
        (('consumers = ["auditor"]', "consumers = []"), "at least one producer and one consumer"),
    ],
)
def test_check_finds_each_problem(edit: tuple[str, str], problem: str) -> None:
    problems = check_catalog(parse_catalog(MINIMAL.replace(*edit)))
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize(
    "text",
    [
        "not toml [",
        MINIMAL.replace("key =", "kee ="),
        MINIMAL.replace("partitions", "x") + "\n[defaults]\npartitions = 0\n",
    ],
)
def test_malformed_catalogs_raise_catalog_error(text: str) -> None:
    with pytest.raises(CatalogError):
        parse_catalog(text)


STATE = """
[[topic]]
name = "correlator.input.v1"
key = "area"
value = "incidentbus.v1.AgencyEvent"
partitions = 6
producers = ["correlator"]
consumers = ["correlator"]
[[topic]]
name = "correlator.state.v1"
key = "state key"
value = "json:correlator-state"
partitions = {partitions}
cleanup_policy = "compact"
min_compaction_lag_ms = 86400000
producers = ["correlator"]
consumers = ["correlator"]
"""


def test_a_state_changelog_has_its_inputs_partitions_and_keeps_its_compaction_lag() -> None:
    mismatched = check_catalog(parse_catalog(MINIMAL + STATE.format(partitions=3)))
    assert mismatched == [
        "correlator.state.v1: keeps the state of correlator.input.v1 partition by partition, "
        "so it needs its 6 partitions, not 3"
    ]
    catalog = parse_catalog(MINIMAL + STATE.format(partitions=6))
    assert check_catalog(catalog) == []
    assert catalog.get("correlator.state.v1").configs(1)["min.compaction.lag.ms"] == "86400000"
    assert catalog.get("case.events.v1").configs(1)["min.compaction.lag.ms"] == "0"  # the broker's default
    shipped = load_catalog(BusSettings().catalog_path)
    assert shipped.get("correlator.state.v1").partitions == shipped.get("correlator.input.v1").partitions

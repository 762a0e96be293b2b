"""Addresses as comparable keys (kernel/addresses.py), on addresses as the real data writes them:
NYC 311 (Incident Address; intersections from its two street columns), Montgomery County 911
(`addr`), and the shipped agencies' Chinese addresses."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from incidentbus.devtools.importrule import violations
from incidentbus.kernel import addresses
from incidentbus.kernel.addresses import (
    AddressKind,
    AddressMatch,
    NormalisedAddress,
    compare_addresses,
    normalise_address,
)

ADDRESS, STREET, CROSSING = AddressKind.ADDRESS, AddressKind.STREET, AddressKind.INTERSECTION

KEYS = [
    # NYC 311
    ("123 WEST 45 STREET", ADDRESS, "123 W 45 ST"),
    ("123 W 45th St.", ADDRESS, "123 W 45 ST"),
    ("123 West 45th Street, New York, NY 10036", ADDRESS, "123 W 45 ST"),
    ("355 WEST  202 STREET", ADDRESS, "355 W 202 ST"),
    ("57-28 164 STREET", ADDRESS, "57-28 164 ST"),  # a Queens number
    ("62-44 60 ROAD", ADDRESS, "62-44 60 RD"),
    ("84 14 STREET", ADDRESS, "84 14 ST"),
    ("1 ST NICHOLAS TERRACE", ADDRESS, "1 ST NICHOLAS TER"),
    ("587 FORT WASHINGTON AVENUE", ADDRESS, "587 FT WASHINGTON AVE"),
    ("4714 FIFTH AVENUE", ADDRESS, "4714 5 AVE"),
    ("123 MAIN ST APT 4B", ADDRESS, "123 MAIN ST"),
    ("EAST    2 STREET", STREET, "E 2 ST"),  # a block face: no number
    ("1 AVENUE", STREET, "1 AVE"),
    ("AVENUE C", STREET, "AVE C"),
    ("BROADWAY", STREET, "BROADWAY"),
    ("W 45 ST & 8 AVE", CROSSING, "8 AVE & W 45 ST"),
    ("8 AVENUE and WEST 45 STREET", CROSSING, "8 AVE & W 45 ST"),
    ("BROADWAY and WEST 42 STREET", CROSSING, "BROADWAY & W 42 ST"),
    ("W 42 ST / BROADWAY", CROSSING, "BROADWAY & W 42 ST"),
    ("BROADWAY & BROADWAY", STREET, "BROADWAY"),
    # Montgomery County 911
    ("MAIN ST & CHERRY LN", CROSSING, "CHERRY LN & MAIN ST"),
    ("1000 DEKALB PIKE", ADDRESS, "1000 DEKALB PIKE"),
    ("DEKALB PIKE & ALLENDALE RD", CROSSING, "ALLENDALE RD & DEKALB PIKE"),
    ("CHERRYWOOD CT & DEAD END", CROSSING, "CHERRYWOOD CT & DEAD END"),
    ("4TH ST & RR CROSSING", CROSSING, "4 ST & RR XING"),
    ("PENLLYN PIKE", STREET, "PENLLYN PIKE"),
    # Shanghai
    ("黄浦区南京东路100号", ADDRESS, "100 南京东路"),
    ("上海市黄浦区南京东路100号", ADDRESS, "100 南京东路"),
    ("南京东路１００号3楼", ADDRESS, "100 南京东路"),  # full-width digits, a floor after the number
    ("中山东一路12号（外滩）", ADDRESS, "12 中山东一路"),
    ("南京西路1000弄5号", ADDRESS, "1000弄5 南京西路"),  # a lane keeps its lane
    ("浦东新区世纪大道100号", ADDRESS, "100 世纪大道"),
    ("长宁区镇宁路200号", ADDRESS, "200 镇宁路"),  # 镇 in a road's name is not a town
    ("新市北路5号", ADDRESS, "5 新市北路"),  # nor 市 a city, when too little road would remain
    ("南京东路与河南中路交叉口", CROSSING, "南京东路 & 河南中路"),
    ("河南中路和南京东路路口", CROSSING, "南京东路 & 河南中路"),
    ("黄浦区南京东路、河南中路交叉口", CROSSING, "南京东路 & 河南中路"),
    ("南京东路", STREET, "南京东路"),
]


@pytest.mark.parametrize(("text", "kind", "key"), KEYS)
def test_an_address_has_one_key_whatever_its_spelling(text: str, kind: AddressKind, key: str) -> None:
    address = normalise_address(text)
    assert address is not None
    assert (address.kind, address.key) == (kind, key)


@pytest.mark.parametrize("text", ["", "   ", "UNKNOWN", "N/A", "123", "人民广场", "x" * 201])
def test_a_text_that_names_no_street_has_no_key(text: str) -> None:
    assert normalise_address(text) is None


COMPARISONS = [
    ("123 WEST 45 STREET", "123 W 45th St", AddressMatch.SAME_ADDRESS),
    ("123 WEST 45 STREET", "125 WEST 45 STREET", AddressMatch.SAME_STREET),
    ("123 WEST 45 STREET", "123 EAST 45 STREET", AddressMatch.DIFFERENT),
    ("123 WEST 45 STREET", "W 45 ST & 8 AVE", AddressMatch.SAME_STREET),  # on one of its streets
    ("123 WEST 45 STREET", "BROADWAY and WEST 42 STREET", AddressMatch.DIFFERENT),
    ("W 45 ST & 8 AVE", "8 AVENUE and WEST 45 STREET", AddressMatch.SAME_INTERSECTION),
    ("W 45 ST & 8 AVE", "W 45 ST & 9 AVE", AddressMatch.SAME_STREET),
    ("BROADWAY and WEST 42 STREET", "W 42 ST & BROADWAY", AddressMatch.SAME_INTERSECTION),
    ("MAIN ST & CHERRY LN", "CHERRY LANE & MAIN STREET", AddressMatch.SAME_INTERSECTION),
    ("MAIN ST & CHERRY LN", "1000 DEKALB PIKE", AddressMatch.DIFFERENT),
    ("1000 DEKALB PIKE", "DEKALB PIKE & ALLENDALE RD", AddressMatch.SAME_STREET),
    ("PENLLYN PIKE", "PENLLYN PIKE", AddressMatch.SAME_STREET),  # a street alone is not a spot
    ("黄浦区南京东路100号", "南京东路100号", AddressMatch.SAME_ADDRESS),
    ("南京东路100号", "南京东路102号", AddressMatch.SAME_STREET),
    ("南京东路100号", "南京东路与河南中路交叉口", AddressMatch.SAME_STREET),
    ("南京东路与河南中路交叉口", "河南中路和南京东路路口", AddressMatch.SAME_INTERSECTION),
    ("南京东路100号", "南京西路100号", AddressMatch.DIFFERENT),
    ("南京东路100号", "", AddressMatch.UNKNOWN),
    ("UNKNOWN", "123 WEST 45 STREET", AddressMatch.UNKNOWN),
]


@pytest.mark.parametrize(("a", "b", "match"), COMPARISONS)
def test_two_addresses_compare_the_same_either_way_round(a: str, b: str, match: AddressMatch) -> None:
    first, second = normalise_address(a), normalise_address(b)
    assert compare_addresses(first, second) == match
    assert compare_addresses(second, first) == match


def test_the_key_is_a_value() -> None:
    """Frozen and hashable: it can key a dict of cases, and equal texts give equal keys."""
    keys = {normalise_address("W 45 ST & 8 AVE"), normalise_address("8 AVENUE and WEST 45 STREET")}
    assert keys == {NormalisedAddress(("8 AVE", "W 45 ST"))}
    assert NormalisedAddress(("南京东路",), "100").kind is AddressKind.ADDRESS


def test_the_correlators_pure_core_may_import_it(tmp_path: Path) -> None:
    """The import rule over a core that imports this module: no forbidden import, no clock."""
    kernel, domain = tmp_path / "incidentbus" / "kernel", tmp_path / "incidentbus" / "correlator" / "domain"
    kernel.mkdir(parents=True)
    domain.mkdir(parents=True)
    shutil.copy(Path(addresses.__file__), kernel / "addresses.py")
    (domain / "probe.py").write_text("from incidentbus.kernel.addresses import normalise_address\n")
    assert violations(tmp_path) == []
    (kernel / "addresses.py").write_text("import os\n")  # the walk does reach it
    assert violations(tmp_path) == ["incidentbus.kernel.addresses: imports os"]

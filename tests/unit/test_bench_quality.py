"""bench.quality runs end to end on a tiny slice, and its figures and labels are right by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from bench import quality
from bench.quality import Labelled, label, normalise, pairwise

NYC_HEADER = (
    "Unique Key,Created Date,Closed Date,Agency,Agency Name,Complaint Type,Descriptor,Location Type,"
    "Incident Zip,Incident Address,Street Name,Cross Street 1,Cross Street 2,Intersection Street 1,"
    "Intersection Street 2,Address Type,City,Landmark,Facility Type,Status,Due Date,"
    "Resolution Description,Resolution Action Updated Date,Community Board,BBL,Borough,"
    "X Coordinate (State Plane),Y Coordinate (State Plane),Open Data Channel Type,Park Facility Name,"
    "Park Borough,Vehicle Type,Taxi Company Borough,Taxi Pick Up Location,Bridge Highway Name,"
    "Bridge Highway Direction,Road Ramp,Bridge Highway Segment,Latitude,Longitude,Location"
)


def nyc_row(key: int, at: str, agency: str, kind: str, address: str, *, point: tuple[float, float]) -> str:
    lat, lng = point
    fields = [""] * 41
    fields[0], fields[1], fields[3], fields[5], fields[9] = str(key), at, agency, kind, address
    fields[15], fields[25], fields[38], fields[39] = "ADDRESS", "BRONX", str(lat), str(lng)
    return ",".join(f'"{f}"' for f in fields)


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    nyc = tmp_path / "nyc.csv"
    nyc.write_text(
        "\n".join(
            [
                NYC_HEADER,
                nyc_row(
                    1,
                    "05/01/2022 12:00:03 AM",
                    "NYPD",
                    "Noise - Residential",
                    "1006 GERARD AVENUE",
                    point=(40.8306, -73.9230),
                ),
                nyc_row(
                    2,
                    "05/01/2022 12:20:00 AM",
                    "NYPD",
                    "Noise - Residential",
                    "1006 Gerard Ave",
                    point=(40.8306, -73.9231),
                ),
                nyc_row(
                    3,
                    "05/01/2022 12:25:00 AM",
                    "NYPD",
                    "Illegal Parking",
                    "55 WEST 33 STREET",
                    point=(40.7490, -73.9880),
                ),
                nyc_row(
                    4,
                    "05/01/2022 12:30:00 AM",
                    "TLC",
                    "Taxi Complaint",
                    "1 MAIN STREET",
                    point=(40.75, -73.99),
                ),
            ]
        )
        + "\n"
    )
    montco = tmp_path / "montco.csv"
    montco.write_text(
        "40.1,-75.3,EMS: VEHICLE ACCIDENT,2018-11-15 12:01,LOWER MERION,DEKALB PIKE & ALLENDALE RD\n"
        "40.1,-75.3,Traffic: VEHICLE ACCIDENT -,2018-11-15 12:03,LOWER MERION,ALLENDALE RD & DEKALB PIKE\n"
        "40.2,-75.2,Fire: FIRE ALARM,2018-11-15 12:30,NORRISTOWN,MAIN ST\n"
        "40.2,-75.2,Fire: FIRE ALARM,2018-11-16 12:30,NORRISTOWN,MAIN ST\n"
    )
    return nyc, montco


def test_the_benchmark_prints_both_sets_as_json(
    files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    nyc, montco = files
    assert quality.main(["--json", "--nyc", str(nyc), "--montco", str(montco), "--limit", "50"]) == 0
    result = json.loads(capsys.readouterr().out)
    n, m = result["sets"]["nyc311"], result["sets"]["montco911"]
    assert (n["rows_read"], n["rows_unmapped"], n["rows_used"]) == (4, 1, 3)
    assert n["unmapped_by_reason"] == {"no code for TLC 'Taxi Complaint'": 1}
    assert (n["incidents"], n["pairs_true"]) == (2, 1)  # the two noise calls are one incident
    assert (m["rows_read"], m["rows_used"], m["incidents"], m["pairs_true"]) == (3, 3, 2, 1)  # one day
    for figures in (n, m):
        for key in ("precision", "recall", "f1", "cases", "over_merged_cases", "under_merged_incidents"):
            assert key in figures
        assert figures["largest_case"]["reports"] >= 1
        assert isinstance(figures["false_pairs_by_doubt"], dict)
        assert isinstance(figures["missed_pairs_by_doubt"], dict)
    assert result["machine"]["cores"] > 0
    assert "bench.quality --json" in result["command"]


def test_the_table_has_both_sets(files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    nyc, montco = files
    assert quality.main(["--nyc", str(nyc), "--montco", str(montco), "--montco-day", "2018-11-16"]) == 0
    out = capsys.readouterr().out
    assert "pairwise precision" in out
    assert "nyc311" in out
    assert "montco911" in out


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    assert quality.main(["--nyc", str(tmp_path / "none.csv"), "--montco", str(tmp_path / "x.csv")]) == 2


def test_pairwise_figures() -> None:
    # cases: A holds incidents 1 and 2 (over-merged); incident 3 is split over B and C
    figures = pairwise(["A", "A", "A", "B", "C"], ["1", "1", "2", "3", "3"])
    assert (figures["pairs_correct"], figures["pairs_predicted"], figures["pairs_true"]) == (1, 3, 2)
    assert (figures["precision"], figures["recall"]) == (0.3333, 0.5)
    assert (figures["cases"], figures["incidents"]) == (3, 3)
    assert (figures["over_merged_cases"], figures["under_merged_incidents"]) == (1, 1)


def test_address_normalisation() -> None:
    assert normalise("1006 GERARD AVENUE") == normalise("1006  Gerard Ave.") == "1006 GERARD AVE"
    assert normalise("EAST  55 STREET & LEXINGTON AVENUE") == "E 55 ST & LEXINGTON AVE"
    assert normalise("Lexington Ave & E 55th St") == "E 55 ST & LEXINGTON AVE"
    assert normalise("SAINT NICHOLAS AVENUE") == normalise("ST NICHOLAS AVE")


def test_labels_chain_by_gap_per_key() -> None:
    t0 = datetime(2022, 5, 1, 0, 0)

    def report(key: str, minutes: int) -> Labelled:
        return Labelled("police", {}, t0 + timedelta(minutes=minutes), 0.0, 0.0, key, "", key)

    reports = [report("a", 0), report("a", 50), report("a", 140), report("b", 10)]
    label(reports, timedelta(minutes=60))
    assert [r.incident for r in reports] == ["I00001", "I00001", "I00003", "I00002"]
    assert date(2018, 11, 15) == quality.MONTCO_DAY


def test_label_doubts_name_the_pairs_the_label_may_get_wrong() -> None:
    t0 = datetime(2022, 5, 1, 0, 0)
    party = Labelled(
        "police", {}, t0, 40.8306, -73.9230, "k1", "Noise - Residential", "1006 GERARD AVE", "I1"
    )
    next_door = replace(
        party, at=t0 + timedelta(minutes=5), lng=-73.9232, key="k2", address="1008 GERARD AVE", incident="I2"
    )
    street = replace(
        party, at=t0 + timedelta(minutes=9), kind="Noise - Street/Sidewalk", key="k3", incident="I3"
    )
    far = replace(party, lat=40.84, key="k4", address="1 OTHER ST", incident="I4")
    assert quality.nyc_doubt(party, next_door) == quality.NEAR_SAME_TYPE
    assert quality.nyc_doubt(party, street) == quality.OTHER_NOISE
    assert quality.nyc_doubt(party, far) == ""
    assert quality.nyc_doubt(party, replace(next_door, at=t0 + timedelta(hours=2))) == ""

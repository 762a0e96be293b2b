"""bench.quality runs end to end on a tiny slice, and its figures and labels are right by hand."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from bench import nyc2024, quality
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


API_HEADER = (  # the 2024 file's: the same 41 fields, by their Socrata API names
    "unique_key,created_date,closed_date,agency,agency_name,complaint_type,descriptor,location_type,"
    "incident_zip,incident_address,street_name,cross_street_1,cross_street_2,intersection_street_1,"
    "intersection_street_2,address_type,city,landmark,facility_type,status,due_date,"
    "resolution_description,resolution_action_updated_date,community_board,bbl,borough,"
    "x_coordinate_state_plane,y_coordinate_state_plane,open_data_channel_type,park_facility_name,"
    "park_borough,vehicle_type,taxi_company_borough,taxi_pick_up_location,bridge_highway_name,"
    "bridge_highway_direction,road_ramp,bridge_highway_segment,latitude,longitude,location"
)


def api_row(key: int, at: str, agency: str, kind: str, **fields: str) -> str:
    """A record as the Socrata API file has it: API field names, ISO times, empty fields unquoted,
    the others quoted, and `location` over three lines."""
    values = dict.fromkeys(API_HEADER.split(","), "")
    values |= {"unique_key": str(key), "created_date": at, "agency": agency, "complaint_type": kind}
    values |= {"borough": "BROOKLYN", "address_type": "ADDRESS", **fields}
    if values["latitude"]:
        values["location"] = f"\n,  \n({values['latitude']}, {values['longitude']})"
    return ",".join(f'"{v}"' if v else "" for v in values.values())


@pytest.fixture
def holdout(tmp_path: Path) -> Path:
    path = tmp_path / "nyc2024.csv"
    point = {"latitude": "40.652371239667836", "longitude": "-73.95506325152031"}
    rows = [
        api_row(
            101,
            "2024-04-15T23:10:00.000",
            "NYPD",
            "Noise - Residential",
            incident_address="93 LINDEN BOULEVARD",
            **point,
        ),
        api_row(
            102,
            "2024-04-15T23:30:05.000",
            "NYPD",
            "Noise - Residential",
            resolution_description="The complaint you filed is a Duplicate of a condition\nalready reported",
            incident_address="93 Linden Blvd",
            closed_date="2024-04-16T00:01:02.000",
            **point,
        ),
        api_row(
            103,
            "2024-04-16T00:05:00.000",
            "NYPD",
            "Illegal Parking",
            address_type="INTERSECTION",
            intersection_street_1="EAST 55 STREET",
            intersection_street_2="LEXINGTON AVENUE",
            latitude="40.7590",
            longitude="-73.9700",
        ),
        api_row(104, "2024-04-16T00:10:00.000", "TLC", "Lost Property", resolution_description="duplicate"),
    ]
    path.write_text("\n".join([API_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


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
    files: tuple[Path, Path], holdout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nyc, montco = files
    args = ["--json", "--nyc", str(nyc), "--montco", str(montco), "--nyc2024", str(holdout), "--limit", "50"]
    assert quality.main(args) == 0
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


def test_the_table_has_both_sets(
    files: tuple[Path, Path], holdout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nyc, montco = files
    args = [
        "--nyc",
        str(nyc),
        "--montco",
        str(montco),
        "--montco-day",
        "2018-11-16",
        "--nyc2024",
        str(holdout),
    ]
    assert quality.main(args) == 0
    out = capsys.readouterr().out
    assert "pairwise precision" in out
    assert "nyc311" in out
    assert "montco911" in out
    assert "nyc311-2024 (holdout)" in out
    assert "bus put in a case holding an earlier report: 1 of 1" in out
    assert "lower bound" in out


def test_a_missing_file_exits_2(
    tmp_path: Path, files: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert quality.main(["--nyc", str(tmp_path / "none.csv"), "--montco", str(tmp_path / "x.csv")]) == 2
    nyc, montco = files
    gone = tmp_path / "gone.csv"
    assert quality.main(["--nyc", str(nyc), "--montco", str(montco), "--nyc2024", str(gone)]) == 2
    assert f"no such file: {gone}" in capsys.readouterr().err


def test_the_holdout_reader_puts_api_records_into_the_export_s_rows(holdout: Path) -> None:
    rows = nyc2024.read_api_rows(holdout)
    assert len(rows) == 4  # 4 records on 11 lines: each location spans three, a resolution two
    assert len(holdout.read_text().splitlines()) == 1 + 3 * 3 + 1 + 1
    first, dup, corner, lost = rows
    assert list(first) == NYC_HEADER.split(",")  # the export's columns, in its order
    assert first["Unique Key"] == "101"
    assert first["Created Date"] == "04/15/2024 11:10:00 PM"
    assert first["Incident Address"] == "93 LINDEN BOULEVARD"
    assert first["Location"] == "(40.652371239667836, -73.95506325152031)"
    assert first["Latitude"] == "40.652371239667836"
    assert (first["Closed Date"], first["Resolution Description"]) == ("", "")
    assert dup["Closed Date"] == "04/16/2024 12:01:02 AM"
    assert (
        dup["Resolution Description"]
        == "The complaint you filed is a Duplicate of a condition\nalready reported"
    )
    assert quality.nyc_address(corner) == "EAST 55 STREET & LEXINGTON AVENUE"
    assert (lost["Agency"], lost["Complaint Type"], lost["Location"]) == ("TLC", "Lost Property", "")
    assert [nyc2024.agency_duplicate(r) for r in rows] == [False, True, False, True]
    assert quality._nyc_time(dup["Created Date"]).isoformat() == "2024-04-15T23:30:05-04:00"


def test_the_holdout_counts_the_agency_s_duplicates(
    files: tuple[Path, Path], holdout: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nyc, montco = files
    assert (
        quality.main(["--json", "--nyc", str(nyc), "--montco", str(montco), "--nyc2024", str(holdout)]) == 0
    )
    result = json.loads(capsys.readouterr().out)["sets"]["nyc311-2024"]
    assert result["holdout"] is True
    assert (result["rows_read"], result["rows_unmapped"], result["rows_used"]) == (4, 1, 3)
    assert result["unmapped_by_reason"] == {"no code for TLC 'Lost Property'": 1}
    assert (result["incidents"], result["pairs_true"]) == (2, 1)  # 93 Linden: one incident
    assert result["agency_duplicates"] == {
        "rows": 2,
        "unmapped": 1,
        "refused_by_bus": 0,
        "used": 1,
        "linked_to_earlier": 1,  # the second noise call at the same point, 20 minutes on
        "recall_lower_bound": 1.0,
        "label_has_earlier": 1,
        "others_used": 2,
        "others_linked_to_earlier": 0,
    }


def test_a_file_without_the_api_field_names_is_refused(files: tuple[Path, Path]) -> None:
    nyc, _ = files
    with pytest.raises(ValueError, match="API's field names"):
        nyc2024.read_api_rows(nyc)


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
    assert normalise("4714 FIFTH AVENUE") == normalise("4714 5 AVE")


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


def test_a_montco_address_in_two_townships_is_a_doubt_not_a_second_incident_by_right() -> None:
    t0 = datetime(2018, 11, 15, 13, 3)
    call = Labelled(
        "police", {}, t0, 40.2093, -75.2312, "JENKINTOWN|HUNT OLD WELSH", "t", "HUNT OLD WELSH", "I1"
    )
    other = replace(call, key="PLYMOUTH|HUNT OLD WELSH", incident="I2")
    assert quality.montco_doubt(call, other) == quality.OTHER_TOWNSHIP


def test_calibration_halves_are_labelled_each_on_its_own() -> None:
    from bench.calibrate import halves

    t0 = datetime(2022, 5, 1, 0, 0)
    reports = [
        Labelled("police", {}, t0 + timedelta(minutes=m), 0.0, 0.0, "a", "", "a", "") for m in (0, 30, 50, 70)
    ]
    label(reports, quality.NYC_GAP)
    assert len({r.incident for r in reports}) == 1
    whole = quality.LabelledSet("nyc311", "", "", 4, reports)
    first, second = halves(whole)
    assert [r.at for r in first.reports + second.reports] == [r.at for r in reports]
    assert (first.name, second.name) == ("nyc311:first", "nyc311:second")
    assert len({r.incident for r in first.reports}) == len({r.incident for r in second.reports}) == 1

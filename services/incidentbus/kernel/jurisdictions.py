"""The jurisdictions the bus knows: districts by code, each with a WGS84 bounding box.

A grid code names its district (`DDDDDD-SSS-CCC-GG`), but only a district in this table is a
place the bus can escalate in; anything else would become an area of its own that no one
watches. The boxes are coarse on purpose: they catch points that are plainly elsewhere (a
device without a fix writes (0, 0)), not a street on the wrong side of a border, so `contains`
allows a margin. Pure: loaded from TOML (data/jurisdictions.toml, or the file the setting
`INCIDENTBUS_JURISDICTIONS_PATH` names), validated with pydantic.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

DISTRICT_CODE = r"^\d{6}$"
Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]


class JurisdictionsError(Exception):
    """The jurisdiction table is unreadable or malformed."""


class District(BaseModel):
    """One district: its code, its name, and the box (south, west, north, east) it lies in."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str = Field(pattern=DISTRICT_CODE)
    name: str = Field(min_length=1)
    bbox: tuple[Latitude, Longitude, Latitude, Longitude]

    @model_validator(mode="after")
    def _ordered(self) -> District:
        south, west, north, east = self.bbox
        if south > north or west > east:
            raise ValueError("bbox is (south, west, north, east) with south <= north and west <= east")
        return self

    def contains(self, lat: float, lon: float, margin: float = 0.0) -> bool:
        south, west, north, east = self.bbox
        return south - margin <= lat <= north + margin and west - margin <= lon <= east + margin


class _TableFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    margin_degrees: float = Field(default=0.05, ge=0, le=5)
    districts: dict[Annotated[str, Field(pattern=DISTRICT_CODE)], dict[str, object]]


@dataclass(frozen=True)
class Jurisdictions:
    """The known districts and the margin a point may stray outside its district's box."""

    districts: dict[str, District]
    margin: float = 0.05

    def district(self, code: str) -> District | None:
        return self.districts.get(code)

    def contains(self, district: str, lat: float, lon: float) -> bool:
        """Whether a point lies in a known district's box (widened by the margin)."""
        known = self.districts.get(district)
        return known is not None and known.contains(lat, lon, self.margin)


def parse_jurisdictions(text: str) -> Jurisdictions:
    """A table from TOML text; JurisdictionsError with the pydantic detail when malformed."""
    try:
        raw = _TableFile.model_validate(tomllib.loads(text))
        districts = {
            code: District.model_validate({"code": code, **row}) for code, row in raw.districts.items()
        }
    except (tomllib.TOMLDecodeError, ValidationError) as exc:
        raise JurisdictionsError(f"invalid jurisdiction table: {exc}") from exc
    return Jurisdictions(districts, raw.margin_degrees)


@cache
def load_jurisdictions(path: Path) -> Jurisdictions:
    """The table in a file, read once per path (services and tests share it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise JurisdictionsError(f"cannot read jurisdiction table {path}: {exc}") from exc
    return parse_jurisdictions(text)


SHIPPED = Path(__file__).resolve().parents[1] / "data" / "jurisdictions.toml"


def shipped_jurisdictions() -> Jurisdictions:
    """The table that ships with the bus (data/jurisdictions.toml)."""
    return load_jurisdictions(SHIPPED)

"""Addresses as comparable keys: the same house, the same street, the same intersection. Pure.

`normalise_address(text)` turns a free-text address into a `NormalisedAddress`: a house number
and one street, one street alone, or the two streets of an intersection (kept sorted, so
"W 45 ST & 8 AVE" and "8 AVENUE and WEST 45 STREET" are one key); None when the text names no
street. `compare_addresses(a, b)` says what two of them have in common, as an `AddressMatch`.

US and other Latin-script addresses are split by `usaddress` (a CRF model trained on US
addresses, labels from the US Thoroughfare, Landmark and Postal Address Data Standard): it finds
the house number, the street's parts, an intersection's separator, and leaves out units, cities,
states and ZIP codes. Each street is then spelled one way, token by token: USPS Publication 28
abbreviations for street types ("STREET"/"STR" -> "ST", "AVENUE"/"AV" -> "AVE") and directions
("WEST" -> "W"), "SAINT"/"FORT"/"MOUNT" -> "ST"/"FT"/"MT", ordinals as numbers ("45TH" -> "45",
"FIRST".."TWELFTH" -> "1".."12"): a key has to be consistent, not pretty. usaddress reads short
texts poorly ("PINETREE CT" is a town in Connecticut to it), so an intersection is split at its
separator (&, AND, /, @) by rule and the street is the span of tokens from the first to the last it
labels as a street part. A text it cannot read as an address may still key as a street name
("SOMEWHERE"): such a key only ever matches the same text, as SAME_STREET, which is weak evidence.
`usaddress` (with python-crfsuite, a C extension) reads its model file once, when this module is
imported (a packaged file of 130 kB, ~50 ms); after that every call is pure and deterministic
(no I/O, no clock), so the correlator's core may import this module (the import rule walks it).
Its version is pinned: a new model could label a text differently and so change a replayed
correlation.

Chinese addresses (any text with a CJK character) are read by a small rule set, since the kept
libraries for them (cpca, addressparser, jionlp) find the province, city and district, not the
road and number the correlator needs: after NFKC (full-width digits become ASCII) and without
blanks and parentheses, the administrative prefix is dropped (`上海市黄浦区` in
`上海市黄浦区南京东路100号`: a leading name ending in 省/市/区/县/镇/乡/街道… when a road of at least
two characters plus its suffix remains), a road is a run of CJK characters ending in
大道/大街/公路/路/街/巷/胡同/道, its number is the digits before 号 (a lane `1000弄5号` keeps its
lane: `1000弄5`), and an intersection is two roads joined by 与/和/同/跟/及/、/& or /, with an
optional 交叉口/路口/交口/交汇处/口 after them.

Texts longer than `MAX_ADDRESS_CHARS` are not addresses (None): they are notes, or hostile.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

import usaddress  # type: ignore[import-untyped]  # it ships an __init__.pyi but no py.typed marker

MAX_ADDRESS_CHARS = 200


class AddressKind(StrEnum):
    ADDRESS = "address"  # a house number on a street
    STREET = "street"  # a street (or a named place) without a number
    INTERSECTION = "intersection"  # two streets


class AddressMatch(StrEnum):
    """What two addresses have in common, strongest first."""

    SAME_ADDRESS = "same_address"  # the same number on the same street
    SAME_INTERSECTION = "same_intersection"  # the same two streets
    # They share a street but the texts do not name one spot: different numbers, a number and an
    # intersection on its street, two intersections on one street, or a street named without a number.
    SAME_STREET = "same_street"
    DIFFERENT = "different"  # no street in common
    UNKNOWN = "unknown"  # one of them is not an address


@dataclass(frozen=True)
class NormalisedAddress:
    """A comparable address: `streets` is one street, or an intersection's two in sorted order;
    `number` is the house number ("" for none; never set on an intersection)."""

    streets: tuple[str, ...]
    number: str = ""

    @property
    def kind(self) -> AddressKind:
        if len(self.streets) == 2:
            return AddressKind.INTERSECTION
        return AddressKind.ADDRESS if self.number else AddressKind.STREET

    @property
    def key(self) -> str:
        """One string for the whole key: "123 W 45 ST", "8 AVE & W 45 ST", "DEKALB PIKE"."""
        if self.kind is AddressKind.INTERSECTION:
            return " & ".join(self.streets)
        return f"{self.number} {self.streets[0]}" if self.number else self.streets[0]


def normalise_address(text: str) -> NormalisedAddress | None:
    """The comparable key of a free-text address, or None when it names no street (empty, too
    long, a landmark the parser cannot place, a Chinese text without a road)."""
    clean = unicodedata.normalize("NFKC", text or "").strip()
    if not clean or len(clean) > MAX_ADDRESS_CHARS:
        return None
    if _CJK.search(clean):
        return _chinese(clean)
    return _latin(clean)


def compare_addresses(a: NormalisedAddress | None, b: NormalisedAddress | None) -> AddressMatch:
    """What `a` and `b` have in common (order does not matter); UNKNOWN when either is None."""
    if a is None or b is None:
        return AddressMatch.UNKNOWN
    if a.streets == b.streets:
        if a.kind is AddressKind.INTERSECTION:
            return AddressMatch.SAME_INTERSECTION
        if a.number and a.number == b.number:
            return AddressMatch.SAME_ADDRESS
        return AddressMatch.SAME_STREET
    if set(a.streets) & set(b.streets):
        return AddressMatch.SAME_STREET
    return AddressMatch.DIFFERENT


def _address(streets: list[str], number: str = "") -> NormalisedAddress | None:
    """One street with its number, or an intersection (a street crossing itself is that street)."""
    unique = sorted({s for s in streets if s})
    if not unique:
        return None
    if len(unique) > 1:
        return NormalisedAddress(tuple(unique[:2]))
    return NormalisedAddress((unique[0],), number)


# -- Latin script: usaddress, then one spelling per token --------------------------------------------

_STREET_LABELS = {
    "StreetNamePreModifier",
    "StreetNamePreDirectional",
    "StreetNamePreType",
    "StreetName",
    "StreetNamePostType",
    "StreetNamePostDirectional",
}
_NUMBER_LABELS = {"AddressNumberPrefix", "AddressNumber", "AddressNumberSuffix"}
_PLACEHOLDERS = {"", "UNKNOWN", "UNK", "N/A", "NA", "NONE", "NULL", "-"}
_QUEENS_NUMBER = re.compile(r"^\d+-\d+[A-Z]?$")  # Queens house numbers: "57-28" (cross street - house)
# Intersection separators spelled one way ("/" between names, not in "1/2"; "@"); "AT" is too ambiguous.
_SEPARATORS = re.compile(r"\s*(?:(?<!\d)/(?!\d)|@|\bAND\b|&)\s*")

# USPS Publication 28, appendix C1 (street suffixes) for the types found in US CAD and 311 data,
# and C2 (directionals); every common spelling -> the standard abbreviation.
_TYPES = {
    "ST": ("STREET", "STR", "STRT", "ST"),
    "AVE": ("AVENUE", "AV", "AVE", "AVEN", "AVENU", "AVN", "AVNUE"),
    "RD": ("ROAD", "RD"),
    "BLVD": ("BOULEVARD", "BLVD", "BOUL", "BOULV"),
    "PL": ("PLACE", "PL"),
    "DR": ("DRIVE", "DR", "DRIV", "DRV"),
    "LN": ("LANE", "LN"),
    "CT": ("COURT", "CT"),
    "TER": ("TERRACE", "TER", "TERR"),
    "PKWY": ("PARKWAY", "PKWY", "PARKWY", "PKWAY", "PKY"),
    "HWY": ("HIGHWAY", "HWY", "HIGHWY", "HIWAY", "HIWY", "HWAY"),
    "EXPY": ("EXPRESSWAY", "EXPY", "EXP", "EXPR", "EXPRESS", "EXPW"),
    "FWY": ("FREEWAY", "FWY", "FREEWY", "FRWAY", "FRWY"),
    "TPKE": ("TURNPIKE", "TPKE", "TRNPK", "TURNPK"),
    "PIKE": ("PIKE", "PIKES"),
    "CIR": ("CIRCLE", "CIR", "CIRC", "CIRCL", "CRCL", "CRCLE"),
    "SQ": ("SQUARE", "SQ", "SQR", "SQRE", "SQU"),
    "PLZ": ("PLAZA", "PLZ", "PLZA"),
    "ALY": ("ALLEY", "ALY", "ALLEE", "ALLY"),
    "BRG": ("BRIDGE", "BRG", "BRDGE"),
    "CRES": ("CRESCENT", "CRES", "CRSENT", "CRSNT"),
    "TRL": ("TRAIL", "TRL", "TRAILS", "TRLS"),
    "CSWY": ("CAUSEWAY", "CSWY", "CAUSWA"),
    "HTS": ("HEIGHTS", "HTS", "HT"),
    "XING": ("CROSSING", "XING", "CRSSNG"),
    "WAY": ("WAY", "WY"),
    "WALK": ("WALK", "WALKS"),
    "LOOP": ("LOOP", "LOOPS"),
    "PT": ("POINT", "PT"),
    "CV": ("COVE", "CV"),
    "CTR": ("CENTER", "CENTRE", "CTR", "CEN", "CENT", "CENTR", "CNTER", "CNTR"),
}
_DIRECTIONS = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
_NAME_WORDS = {"SAINT": "ST", "FORT": "FT", "MOUNT": "MT"}
_ORDINAL_WORDS = {
    word: str(n)
    for n, word in enumerate(
        (
            "FIRST",
            "SECOND",
            "THIRD",
            "FOURTH",
            "FIFTH",
            "SIXTH",
            "SEVENTH",
            "EIGHTH",
            "NINTH",
            "TENTH",
            "ELEVENTH",
            "TWELFTH",
        ),
        1,
    )
}
_SPELLING = (
    {spelling: short for short, spellings in _TYPES.items() for spelling in spellings}
    | _DIRECTIONS
    | _NAME_WORDS
    | _ORDINAL_WORDS
)
_ORDINAL = re.compile(r"^(\d+)(?:ST|ND|RD|TH)$")


def _token(token: str) -> str:
    word = token.upper().strip(".,;:#()'\"")
    if ordinal := _ORDINAL.match(word):
        return ordinal.group(1)
    return _SPELLING.get(word, word)


def _street(tokens: list[str]) -> str:
    return " ".join(t for t in (_token(token) for token in tokens) if t)


def _has_digit(token: str) -> bool:
    return any(c.isdigit() for c in token)


def _parts(text: str) -> tuple[list[str], list[str]]:
    """The house number's and the street's tokens. The street runs from the first to the last token
    usaddress labels as part of one, so what it mislabels inside stays and units, cities, states and
    ZIP codes after it go. A text in which it finds no street ("BROADWAY", "PINETREE CT" read as a
    town in Connecticut, "RR CROSSING") is a street name up to its first comma, after any number."""
    parsed = usaddress.parse(text)
    span = [i for i, (_, label) in enumerate(parsed) if label in _STREET_LABELS]
    if not span:
        tokens = [token for token, _ in usaddress.parse(text.split(",", maxsplit=1)[0])]
        if len(tokens) > 1 and _has_digit(tokens[0]):
            return tokens[:1], tokens[1:]
        return [], tokens
    first, last = span[0], span[-1]
    # "ST NICHOLAS TERRACE": a word labelled as a house number is the street's first word
    while first > 0 and parsed[first - 1][1] in _NUMBER_LABELS and not _has_digit(parsed[first - 1][0]):
        first -= 1
    number = [token for token, label in parsed[:first] if label in _NUMBER_LABELS]
    street = [token for token, _ in parsed[first : last + 1]]
    if not number and len(street) > 2 and _QUEENS_NUMBER.match(street[0]):
        return street[:1], street[1:]  # "62-44 60 ROAD", whose number it read as part of the name
    return number, street


def _name(tokens: list[str]) -> str:
    """A street's name; "" for a placeholder or a text without a letter (a bare number)."""
    name = _street(tokens)
    return "" if name in _PLACEHOLDERS or not any(c.isalpha() for c in name) else name


def _latin(text: str) -> NormalisedAddress | None:
    if text.upper() in _PLACEHOLDERS:
        return None
    sides = [side.strip() for side in _SEPARATORS.sub(" & ", text.upper()).split("&")]
    if len(sides) > 1:
        # An intersection, split at its separator (usaddress misses some: "8 AVENUE & WEST 45 STREET").
        # A side has no house number: "8" in "8 AVE" names the avenue.
        streets = []
        for side in sides[:2]:
            number, street = _parts(side)
            streets.append(_name(number + street))
        return _address(streets)
    number, street = _parts(sides[0])
    return _address([_name(street)], " ".join(_token(t) for t in number))


# -- Chinese: roads, 号 numbers and 与/和 intersections, by rule -------------------------------------

_CJK = re.compile(r"[\u4e00-\u9fff]")
_ROAD_SUFFIX = r"(?:大道|大街|公路|胡同|路|街|巷|道)"
_ADMIN = re.compile(r"[\u4e00-\u9fff]+?(?:特别行政区|自治区|自治州|自治县|省|市|区|县|旗|镇|乡|街道)")
_ROAD = re.compile(rf"[\u4e00-\u9fff]{{2,}}{_ROAD_SUFFIX}")
_NUMBERED = re.compile(
    rf"(?P<road>[\u4e00-\u9fff]+?{_ROAD_SUFFIX})"
    r"(?P<first>\d+(?:-\d+)?)(?P<unit>号|弄)(?:(?P<second>\d+(?:-\d+)?)号)?"
)
_JOIN = r"(?:与|和|同|跟|及|、|&|/)"
_CORNER = r"(?:交叉路口|十字路口|交叉口|交汇处|交界处|路口|交口|口)?(?:附近|处|旁|东侧|西侧|南侧|北侧)?"
_CROSSING = re.compile(
    rf"(?P<a>[\u4e00-\u9fff]+?{_ROAD_SUFFIX}){_JOIN}(?P<b>[\u4e00-\u9fff]+?{_ROAD_SUFFIX}){_CORNER}"
)
_ALONE = re.compile(rf"(?P<a>[\u4e00-\u9fff]+?{_ROAD_SUFFIX}){_CORNER}")


def _road(name: str) -> str:
    """A road without the administrative names before it (上海市黄浦区南京东路 -> 南京东路)."""
    while (admin := _ADMIN.match(name)) and _ROAD.fullmatch(name[admin.end() :]):
        name = name[admin.end() :]
    return name


def _chinese(text: str) -> NormalisedAddress | None:
    text = re.sub(r"\([^)]*\)|\s+", "", text).removeprefix("中国")
    if crossing := _CROSSING.fullmatch(text):
        return _address([_road(crossing["a"]), _road(crossing["b"])])
    if numbered := _NUMBERED.search(text):
        first, unit, second = numbered["first"], numbered["unit"], numbered["second"]
        number = first if unit == "号" else f"{first}弄{second or ''}"
        return _address([_road(numbered["road"])], number)
    if alone := _ALONE.fullmatch(text):
        return _address([_road(alone["a"])])
    return None

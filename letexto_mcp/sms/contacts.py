"""Campaign contacts from a list of objects or from CSV text: numbers normalised, fields as text.

One bad row never sinks a campaign: it is set aside with its row (1-based item index, or the
CSV line number with the header as line 1) and a reason, and the rest go on. Problems with the
input as a whole (no phone column, empty CSV, not a list of objects) raise `ContactsError`,
whose message says what to send instead.

Rules worth knowing:
- the phone key is `phone` or `numero`, or one of `PHONE_KEYS` (case-insensitive, spaces and
  dashes read as `_`); when several are present the earliest in `PHONE_KEYS` is the number and
  the others stay fields, except `phone`/`numero`, which always mean the number (a row giving
  two different numbers under them is rejected);
- field values: text as is, numbers and booleans as text (`true`/`false`), None or blank text
  means "no value"; a nested object or list rejects the row;
- CSV: `,`, `;` or tab, sniffed from the header line; BOM, quotes and blank lines handled;
  cells are stripped of surrounding spaces;
- the same number twice: the first occurrence wins, later ones are counted in
  `duplicates_merged`.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .phones import InvalidPhoneNumber, fast_vendor_digits, normalize_phone

__all__ = [
    "PHONE_KEYS",
    "Contact",
    "ContactList",
    "ContactsError",
    "RejectedContact",
    "parse_contacts",
    "parse_contacts_csv",
]

PHONE_KEYS = (
    "phone",
    "numero",
    "numéro",
    "telephone",
    "téléphone",
    "tel",
    "tél",
    "mobile",
    "number",
    "msisdn",
    "phone_number",
)
_PHONE_RANK = {name: rank for rank, name in enumerate(PHONE_KEYS)}
_RESERVED = frozenset({"phone", "numero"})  # what {{phone}} and {{numero}} mean: never a field
_MAX_WARNINGS = 50
_PREVIEW = 80
_NAME_PREVIEW = 40
_CONTAINER_KINDS: dict[type[object], str] = {dict: "an object", list: "a list"}  # how a refusal names them
_EXAMPLE = 'e.g. [{"phone": "0707123456", "name": "Awa"}]'
_CSV_EXAMPLE = "e.g. phone,name then one line per contact: 0707123456,Awa"


class ContactsError(ValueError):
    """The input as a whole cannot be read as contacts; the message says what to send instead."""


@dataclass(frozen=True, slots=True)
class Contact:
    """One recipient: the number in the vendor's form and the `{{field}}` values (phone excluded).

    `row` is where the caller wrote it (as in `RejectedContact`; 0 when built by hand), so that a
    contact set aside later, when its message is rendered, is reported at the caller's row.
    """

    phone: str
    fields: dict[str, str]
    row: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class RejectedContact:
    """A row set aside: `row` is the 1-based item index, or the CSV line number (header = 1)."""

    row: int
    value: str
    reason: str


@dataclass(frozen=True)
class ContactList:
    """What came out of parsing: usable contacts, rejected rows, and a note of merged duplicates.

    `warnings` holds per-row notes that do not reject the row (a landline, which usually cannot
    receive SMS), at most 50 of them plus a count of the rest.
    """

    contacts: list[Contact]
    rejected: list[RejectedContact]
    duplicates_merged: int
    field_names: list[str]
    warnings: list[str] = field(default_factory=list)


@lru_cache(maxsize=1024)
def _key(name: str) -> str:
    """How a key or header is compared with the phone aliases."""
    return unicodedata.normalize("NFC", name.strip()).lower().replace(" ", "_").replace("-", "_")


def _preview(value: object, limit: int = _PREVIEW) -> str:
    """A value short enough to quote in a message: error texts never echo a huge input."""
    text = value if isinstance(value, str) else repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _name(name: str) -> str:
    """A key or column name, quoted and cut short."""
    return repr(_preview(name, _NAME_PREVIEW))


class _Collector:
    """Normalises numbers, merges duplicates and keeps the tallies for both input shapes."""

    def __init__(self, region: str) -> None:
        self.region = region
        self.contacts: list[Contact] = []
        self.rejected: list[RejectedContact] = []
        self.duplicates = 0
        self.warnings: list[str] = []
        self.extra_warnings = 0
        self.seen: set[str] = set()
        self.names: dict[str, object] = {}

    def number(self, row: int, raw: str) -> tuple[str, tuple[str, ...]] | None:
        """(vendor digits, warnings) for `raw`, or None after recording why the row is rejected."""
        digits = fast_vendor_digits(raw, self.region)
        if digits is not None:
            return digits, ()
        try:
            number = normalize_phone(raw, self.region)
        except InvalidPhoneNumber as error:
            self.reject(row, raw, error.reason)
            return None
        return number.digits, number.warnings

    def add(self, row: int, digits: str, fields: dict[str, str], warnings: tuple[str, ...] = ()) -> None:
        if digits in self.seen:
            self.duplicates += 1
            return
        self.seen.add(digits)
        self.contacts.append(Contact(digits, fields, row))
        self.names.update(fields)  # only the order of first appearance matters
        for warning in warnings:
            self.warn(f"row {row}: {warning}")

    def reject(self, row: int, value: object, reason: str) -> None:
        self.rejected.append(RejectedContact(row, _preview(value), reason))

    def warn(self, message: str) -> None:
        if len(self.warnings) < _MAX_WARNINGS:
            self.warnings.append(message)
        else:
            self.extra_warnings += 1

    def result(self, field_names: list[str] | None = None) -> ContactList:
        warnings = list(self.warnings)
        if self.extra_warnings:
            warnings.append(f"… and {self.extra_warnings} more rows with the same kind of warning")
        names = list(self.names) if field_names is None else field_names
        return ContactList(self.contacts, self.rejected, self.duplicates, names, warnings)


# ---- lists of objects ---------------------------------------------------------------------------


def parse_contacts(items: Sequence[Mapping[str, object]], default_region: str = "CI") -> ContactList:
    """Contacts from objects such as `{"phone": "0707123456", "name": "Awa"}`."""
    if isinstance(items, (str, bytes, bytearray, Mapping)) or not isinstance(items, Sequence):
        raise ContactsError(
            f"contacts must be a list of objects, each with a phone number and any fields, {_EXAMPLE}"
        )
    if not items:
        raise ContactsError(f"the contact list is empty: give at least one contact, {_EXAMPLE}")
    region = default_region.upper()
    collector = _Collector(region)
    no_phone = 0
    for row, item in enumerate(items, start=1):
        if type(item) is not dict and not isinstance(item, Mapping):
            collector.reject(row, item, f"not an object: each contact must be an object, {_EXAMPLE}")
            continue
        if "phone" in item:
            phone_key = "phone"
        elif "numero" in item:
            phone_key = "numero"
        else:
            alias = _phone_key(item)
            if alias is None:
                no_phone += 1
                collector.reject(row, item, "no phone number: give the contact a 'phone' (or 'numero') key")
                continue
            phone_key = alias
        raw = item[phone_key]
        digits = fast_vendor_digits(raw, region) if type(raw) is str else None
        warnings: tuple[str, ...] = ()
        if digits is None:
            text = _phone_text(raw)
            if text is None:
                collector.reject(row, raw, "the phone number is empty or not text")
                continue
            number = collector.number(row, text)
            if number is None:
                continue
            digits, warnings = number
        fields = _object_fields(collector, row, item, phone_key, digits)
        if fields is not None:
            collector.add(row, digits, fields, warnings)
    if no_phone == len(items):
        raise ContactsError(f"none of the contacts has a phone number: give each a 'phone' key, {_EXAMPLE}")
    return collector.result()


def _phone_key(item: Mapping[str, object]) -> str | None:
    """The key holding the number: `phone`, `numero`, or the best-ranked alias."""
    if "phone" in item:
        return "phone"
    if "numero" in item:
        return "numero"
    best: tuple[int, str] | None = None
    for key in item:
        if isinstance(key, str):
            rank = _PHONE_RANK.get(_key(key))
            if rank is not None and (best is None or rank < best[0]):
                best = (rank, key)
    return None if best is None else best[1]


def _phone_text(value: object) -> str | None:
    """A phone value as text: ints are accepted (JSON numbers), other types are not."""
    if type(value) is str:
        return value if value and not value.isspace() else None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _object_fields(
    collector: _Collector, row: int, item: Mapping[str, object], phone_key: str, digits: str
) -> dict[str, str] | None:
    """The row's fields as text, or None after recording why the row is rejected."""
    fields: dict[str, str] = {}
    for key, value in item.items():
        if key == phone_key:
            continue
        name = key if type(key) is str else str(key)
        if _key(name) in _RESERVED:  # 'numero' beside 'phone': the same number, or a conflict
            if value is not None and value != "" and not _same_number(collector, value, digits):
                collector.reject(row, value, _two_numbers(phone_key, name))
                return None
            continue
        if type(value) is str:
            if value and not value.isspace():
                fields[name] = value
        elif value is None:
            continue
        elif isinstance(value, bool):
            fields[name] = "true" if value else "false"
        elif isinstance(value, (int, float)):
            fields[name] = str(value)
        else:
            kind = _CONTAINER_KINDS.get(type(value))
            if kind is None:
                kind = "an object" if isinstance(value, Mapping) else f"a {type(value).__name__}"
            collector.reject(
                row, value, f"field {_name(name)} is {kind}; field values must be text or numbers"
            )
            return None
    return fields


def _two_numbers(first: str, second: str) -> str:
    return f"{_name(first)} and {_name(second)} hold different numbers: keep only one of them"


def _same_number(collector: _Collector, value: object, digits: str) -> bool:
    text = _phone_text(value)
    if text is None:
        return False
    try:
        return normalize_phone(text, collector.region).digits == digits
    except InvalidPhoneNumber:
        return False


# ---- CSV ----------------------------------------------------------------------------------------

_QUOTED = re.compile(r'"[^"]*"')


def parse_contacts_csv(text: str, default_region: str = "CI") -> ContactList:
    """Contacts from CSV text with a header line naming a phone column (`phone`, `numero`, …)."""
    if not isinstance(text, str):
        raise ContactsError(f"contacts_csv must be text, {_CSV_EXAMPLE}")
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise ContactsError(f"the CSV is empty: {_CSV_EXAMPLE}")
    delimiter = _sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)

    def records() -> Iterator[tuple[int, list[str]]]:
        """(line where the record starts, cells): a quoted cell may span lines."""
        line = 0
        for row in reader:
            start, line = line + 1, reader.line_num
            yield start, row

    try:
        return _read(records(), delimiter, default_region.upper())
    except csv.Error as error:
        raise ContactsError(f"the CSV cannot be read near line {reader.line_num}: {error}") from None


def _sniff_delimiter(text: str) -> str:
    """`,`, `;` or tab: whichever the first non-blank line (the header) uses most, outside quotes."""
    for line in text.splitlines():
        if line.strip():
            bare = _QUOTED.sub("", line)
            counts = {delimiter: bare.count(delimiter) for delimiter in (",", ";", "\t")}
            best = max(counts, key=lambda delimiter: counts[delimiter])
            return best if counts[best] else ","
    return ","


def _blank(row: list[str]) -> bool:
    return not any(cell.strip() for cell in row)


def _read(records: Iterator[tuple[int, list[str]]], delimiter: str, region: str) -> ContactList:
    header = next((row for _, row in records if not _blank(row)), None)
    if header is None:
        raise ContactsError(f"the CSV is empty: {_CSV_EXAMPLE}")
    header = [unicodedata.normalize("NFC", cell.strip()) for cell in header]
    _check_names(header)
    ranked = sorted(
        (_PHONE_RANK[_key(name)], i) for i, name in enumerate(header) if _key(name) in _PHONE_RANK
    )
    if not ranked:
        raise ContactsError(_no_phone_column(header, region))
    phone_index = ranked[0][1]
    phone_name = header[phone_index]
    others = [i for i, name in enumerate(header) if i != phone_index and _key(name) in _RESERVED]
    field_columns = [
        (i, name) for i, name in enumerate(header) if name and i != phone_index and i not in others
    ]
    width = len(header)
    collector = _Collector(region)
    for line, row in records:
        if len(row) != width:
            if not _blank(row):
                reason = f"line {line} has {len(row)} values but the header has {width} columns"
                collector.reject(line, delimiter.join(row), reason)
            continue
        raw = row[phone_index].strip()
        if not raw:
            if not _blank(row):
                collector.reject(line, delimiter.join(row), f"no phone number in column {_name(phone_name)}")
            continue
        number = collector.number(line, raw)
        if number is None:
            continue
        digits, warnings = number
        for i in others:
            if row[i].strip() and not _same_number(collector, row[i], digits):
                collector.reject(line, row[i], _two_numbers(phone_name, header[i]))
                break
        else:
            fields = {name: value for i, name in field_columns if (value := row[i].strip())}
            collector.add(line, digits, fields, warnings)
    return collector.result([name for _, name in field_columns])


def _check_names(header: list[str]) -> None:
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise ContactsError(
                f"the CSV header names the column {_name(name)} twice: give each column its own name"
            )
        seen.add(name)


def _no_phone_column(header: list[str], region: str) -> str:
    found = ", ".join(_name(name) for name in header[:10]) or "nothing"
    if len(header) > 10:
        found += f" and {len(header) - 10} more"
    try:
        normalize_phone(header[0], region)
    except InvalidPhoneNumber:
        return (
            f"the CSV has no phone column: name it 'phone' or 'numero' in the header line (found {found}), "
            f"{_CSV_EXAMPLE}"
        )
    return f"the first line looks like a contact, not a header: add a header line first, {_CSV_EXAMPLE}"

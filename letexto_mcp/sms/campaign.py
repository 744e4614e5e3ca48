"""The cost of a campaign before it is sent: every message rendered and counted.

Previews and sends share this, so the parts a user approves are the parts that are sent.
Parts are counted on each rendered message, not on the template: a long name or an `ë` in one
contact's field can push that message into an extra part or into UCS-2.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .contacts import Contact, RejectedContact
from .segments import MAX_REPORTED_CHARACTERS, count_parts, non_gsm_characters
from .templates import PHONE_FIELDS, MissingFields, placeholders, render

__all__ = ["CampaignPlan", "plan_campaign"]


@dataclass(frozen=True)
class CampaignPlan:
    """Totals of a rendered campaign; contacts lacking a field the text uses are in `missing`, not counted."""

    messages: int
    total_parts: int
    parts_distribution: dict[int, int]  # parts -> number of messages, ascending
    encodings: dict[str, int]  # "GSM-7" and "UCS-2" -> number of messages (both keys always present)
    max_parts: int
    samples: list[tuple[str, str]]  # (phone, rendered text) for the first contacts planned
    missing: list[RejectedContact]  # row: the contact's `row` (else its 1-based index), value: the phone
    non_gsm_characters: list[tuple[int, str]]  # from the template, positions in the template


def plan_campaign(template: str, contacts: Sequence[Contact], samples: int = 3) -> CampaignPlan:
    """Render `template` for every contact and count what it costs.

    `{{phone}}` and `{{numero}}` are the contact's number in the vendor's form.
    """
    uses_phone = any(name in PHONE_FIELDS for name in placeholders(template))
    distribution: dict[int, int] = {}
    encodings = {"GSM-7": 0, "UCS-2": 0}
    picked: list[tuple[str, str]] = []
    missing: list[RejectedContact] = []
    for index, contact in enumerate(contacts, start=1):
        row = contact.row or index
        fields = contact.fields
        if uses_phone:
            fields = {**fields, "phone": contact.phone, "numero": contact.phone}
        try:
            text = render(template, fields)
        except MissingFields as error:
            missing.append(RejectedContact(row, contact.phone, str(error)))
            continue
        encoding, parts = count_parts(text)
        encodings[encoding] += 1
        distribution[parts] = distribution.get(parts, 0) + 1
        if len(picked) < samples:
            picked.append((contact.phone, text))
    return CampaignPlan(
        messages=sum(distribution.values()),
        total_parts=sum(parts * count for parts, count in distribution.items()),
        parts_distribution=dict(sorted(distribution.items())),
        encodings=encodings,
        max_parts=max(distribution, default=0),
        samples=picked,
        missing=missing,
        non_gsm_characters=list(non_gsm_characters(template, MAX_REPORTED_CHARACTERS)),
    )

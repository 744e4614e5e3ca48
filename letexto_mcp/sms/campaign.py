"""The cost of a campaign before it is sent: every message rendered and counted.

Previews and sends share this, so the parts a user approves are the parts that are sent.
Parts are counted on each rendered message, not on the template: a long name or an `ë` in one
contact's field can push that message into an extra part or into UCS-2. A template made only of
placeholders (`{{msg}}`) can render blank for one contact (a value of zero-width spaces, a BOM
from a spreadsheet): that contact is set aside like one missing a field, never sent an empty SMS.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .contacts import Contact, RejectedContact
from .segments import MAX_REPORTED_CHARACTERS, count_parts, non_gsm_characters
from .templates import PHONE_FIELDS, MissingFields, literal_text, placeholders, render
from .visible import blank_reason, has_visible_text

__all__ = ["CampaignPlan", "plan_campaign"]


@dataclass(frozen=True)
class CampaignPlan:
    """Totals of a rendered campaign; contacts set aside are in `missing`, not counted.

    A contact is set aside when a field the text uses has no value, or when its message would
    have no visible text.
    """

    messages: int
    total_parts: int
    parts_distribution: dict[int, int]  # parts -> number of messages, ascending
    encodings: dict[str, int]  # "GSM-7" and "UCS-2" -> number of messages (both keys always present)
    max_parts: int
    samples: list[tuple[str, str]]  # (phone, rendered text) for the first contacts planned
    missing: list[RejectedContact]  # row: the contact's `row` (else its 1-based index), value: the phone
    non_gsm_characters: list[tuple[int, str]]  # from the template, positions in the template


MessageSink = Callable[[str, str], None]


def plan_campaign(
    template: str, contacts: Sequence[Contact], samples: int = 3, *, each: MessageSink | None = None
) -> CampaignPlan:
    """Render `template` for every contact and count what it costs.

    `{{phone}}` and `{{numero}}` are the contact's number in the vendor's form. `each(phone, text)`,
    if given, sees every message that would leave (a send uses it to fingerprint what reaches whom).
    """
    names = placeholders(template)
    uses_phone = any(name in PHONE_FIELDS for name in names)
    # Only a template whose own text shows nothing can render blank; {{phone}} always shows digits.
    may_render_blank = not uses_phone and not has_visible_text(literal_text(template))
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
        if may_render_blank and (reason := blank_reason(text)) is not None:
            missing.append(RejectedContact(row, contact.phone, _rendered_blank(reason, names)))
            continue
        if each is not None:
            each(contact.phone, text)
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


def _rendered_blank(reason: str, names: list[str]) -> str:
    """Why a contact is set aside when its values leave the message blank; the values are not quoted."""
    shown = ", ".join("{{" + (name if len(name) <= 40 else name[:39] + "…") + "}}" for name in names[:5])
    if len(names) > 5:
        shown += f" and {len(names) - 5} more"
    return (
        f"with this contact's {shown}, the message {reason}: give the contact a visible value, "
        "or add text around the placeholders"
    )

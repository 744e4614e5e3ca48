"""The GSM-7 rewrite: French and English spelled with the GSM-7 alphabet, never at a higher price."""

from __future__ import annotations

import pytest

from letexto_mcp.sms.rewrite import gsm7_rewrite
from letexto_mcp.sms.segments import count_segments, is_gsm7


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Fête", "Fete"),
        ("château", "chateau"),
        ("île", "ile"),
        ("hôtel", "hotel"),
        ("sûr", "sur"),
        ("Noël", "Noel"),
        ("maïs", "mais"),
        ("garçon", "garcon"),
        ("Ça va", "Ça va"),  # Ç is GSM-7 and stays
        ("cœur", "coeur"),
        ("Œuvre", "OEuvre"),
        ("æble", "æble"),
        ("L’équipe", "L'équipe"),
        ("‘ok’", "'ok'"),
        ("“Bonjour”", '"Bonjour"'),
        ("«Bonjour»", '"Bonjour"'),
        ("Attendez…", "Attendez..."),
        ("9h–18h", "9h-18h"),
        ("oui — non", "oui - non"),
        ("5\u00a0000\u202fF", "5 000 F"),
        ("ÀÂÊÎÔÛ", "AAEIOU"),
        ("été à Abidjan", "été à Abidjan"),  # already GSM-7
        ("n°12", "no12"),
        ("café 😀 !", "café !"),
        ("Merci 🙏🏽", "Merci"),
        ("😀 Bonjour", "Bonjour"),
        ("Famille 👨\u200d👩\u200d👧 ok", "Famille ok"),
        ("Привет", "??????"),
        ("Prix : 5 ₦", "Prix : 5 ?"),
        ("e\u0301te\u0301", "été"),  # decomposed accents are recomposed first
    ],
)
def test_gsm7_rewrite_examples(text: str, expected: str) -> None:
    assert gsm7_rewrite(text) == expected


def test_gsm7_rewrite_turns_a_ucs2_message_into_a_cheaper_one() -> None:
    text = (
        "Chère cliente, votre commande est prête. Nous vous attendons à l’agence de Cocody dès 8h. "
        "Bonne fête !"
    )
    before, after = count_segments(text), count_segments(gsm7_rewrite(text))
    assert (before.encoding, before.parts) == ("UCS-2", 2)
    assert (after.encoding, after.parts) == ("GSM-7", 1)


def test_gsm7_rewrite_falls_back_to_short_spellings_rather_than_cost_more() -> None:
    text = "…" * 70  # one UCS-2 part; "..." x 70 would be 210 septets, two parts
    rewritten = gsm7_rewrite(text)
    assert is_gsm7(rewritten)
    assert count_segments(rewritten).parts == 1
    assert set(rewritten) == {"."}

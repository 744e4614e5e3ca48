"""GSM 03.38 part counting against a corpus worked out by hand.

Rules (GSM 03.38 / 3GPP TS 23.038 and TS 23.040 concatenation): GSM-7 is 160 septets in one
part, 153 per part once split (the 6-byte UDH eats 7 septets); the extension table
(^ { } \\ [ ~ ] | € and form feed) costs an escape plus the character, and the pair never
straddles two parts. One character outside both tables makes the whole message UCS-2: 70
UTF-16 units in one part, 67 per part; emoji outside the BMP are surrogate pairs (2 units),
never split across parts.
"""

from __future__ import annotations

import pytest

from letexto_mcp.sms.segments import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    MAX_REPORTED_CHARACTERS,
    SegmentCount,
    count_parts,
    count_segments,
    is_gsm7,
    non_gsm_characters,
)

FACTURE = (
    "Cher client, votre facture de 15 000 FCFA est disponible. Payez avant le 30/06 pour éviter "
    "la suspension de votre ligne."
)  # 120 characters, é is GSM-7
COLIS = (
    "Bonjour Awa, votre colis est arrivé à l'agence de Cocody. Présentez-vous avec une pièce "
    "d'identité avant 18h. Merci de votre confiance !"
)  # 136 characters, é à è are GSM-7
CODE = (
    "Your verification code is 482913. It expires in 10 minutes. Never share this code with anyone, "
    "even if they claim to work for us."
)  # 129 characters, ASCII
RAPPEL = (
    "Rappel : votre rendez-vous est prévu demain à 9h30 au centre de santé d'Abobo. En cas "
    "d'empêchement, appelez le 27 22 00 00 00."
)  # 127 characters; the ê of empêchement makes it UCS-2
PROMO = (
    "Promo spéciale fête des mères : -20% sur tous les parfums jusqu'au 31 mai. Offre valable dans "
    "nos boutiques d'Abidjan et de Bouaké."
)  # 131 characters; ê again

# (text, encoding, parts, units): units are septets for GSM-7 (extension characters count 2)
# and UTF-16 code units for UCS-2 (emoji count 2).
CORPUS: list[tuple[str, str, int, int]] = [
    # --- French, GSM-7: é è à ù ì ò É Ç are in the basic table
    ("Bonjour", "GSM-7", 1, 7),
    ("Été", "GSM-7", 1, 3),
    ("Merci à vous, à très vite !", "GSM-7", 1, 27),
    ("Fiancée", "GSM-7", 1, 7),
    ("Où est la clé ?", "GSM-7", 1, 15),
    ("Ça coute 5€", "GSM-7", 1, 12),
    ("L'équipe", "GSM-7", 1, 8),
    ("Straße", "GSM-7", 1, 6),
    ("Über Öl Äpfel, Ñandu, ¿Qué?", "GSM-7", 1, 27),
    ("ΔΦΓΛΩΠΨΣΘΞ", "GSM-7", 1, 10),
    ("@£$¥¤§¡¿", "GSM-7", 1, 8),
    ("Ligne 1\nLigne 2\r\n", "GSM-7", 1, 17),
    ("Æsop æble Øre øl Åse ås", "GSM-7", 1, 23),
    (FACTURE, "GSM-7", 1, 120),
    (COLIS, "GSM-7", 1, 136),
    (COLIS + " " + FACTURE, "GSM-7", 2, 257),
    # --- French, UCS-2: ê â î ô û ë ï ç œ À, curly quotes, guillemets are not GSM-7
    ("À bientôt", "UCS-2", 1, 9),
    ("Où êtes-vous ?", "UCS-2", 1, 14),
    ("Ça coûte 5€", "UCS-2", 1, 11),
    ("L’équipe", "UCS-2", 1, 8),
    ("“Bonjour”", "UCS-2", 1, 9),
    ("«Bonjour»", "UCS-2", 1, 9),
    ("Joyeux Noël", "UCS-2", 1, 11),
    ("Maïs grillé", "UCS-2", 1, 11),
    ("Cœur", "UCS-2", 1, 4),
    ("Garçon", "UCS-2", 1, 6),
    ("Crème brûlée", "UCS-2", 1, 12),
    ("Il était une fois…", "UCS-2", 1, 18),
    ("Tarif : 5 000 F CFA — payable en 2 fois", "UCS-2", 1, 39),
    (RAPPEL, "UCS-2", 2, 127),
    (PROMO, "UCS-2", 2, 131),
    # --- English and mixed
    (CODE, "GSM-7", 1, 129),
    ("Meet @ 5pm #party", "GSM-7", 1, 17),
    ("Price: $5 (approx. €4.60)", "GSM-7", 1, 26),
    ("Use code [SAVE10] or {VIP} ~ | \\ ^", "GSM-7", 1, 42),
    ("Don’t miss our sale!", "UCS-2", 1, 20),
    ("50% off – today only", "UCS-2", 1, 20),
    ("naïve café", "UCS-2", 1, 10),
    ("Hello 😀", "UCS-2", 1, 8),
    ("Hi 👋🏽", "UCS-2", 1, 7),
    ("Family: 👨‍👩‍👧", "UCS-2", 1, 16),
    ("`backtick`", "UCS-2", 1, 10),
    ("tab\there", "UCS-2", 1, 8),  # 0x09 is Ç in GSM 03.38, not a tab
    ("αβγ", "UCS-2", 1, 3),  # only the Greek capitals are in the table
    ("page\fbreak", "GSM-7", 1, 11),  # form feed is an extension character
    ("", "GSM-7", 0, 0),
    # --- GSM-7 boundaries: 160 / 161, 153 x 2 / +1
    ("a" * 160, "GSM-7", 1, 160),
    ("a" * 161, "GSM-7", 2, 161),
    ("a" * 306, "GSM-7", 2, 306),
    ("a" * 307, "GSM-7", 3, 307),
    ("a" * 459, "GSM-7", 3, 459),
    ("a" * 460, "GSM-7", 4, 460),
    ("a" * 158 + "€", "GSM-7", 1, 160),
    ("a" * 159 + "€", "GSM-7", 2, 161),
    ("€" * 80, "GSM-7", 1, 160),
    ("€" * 81, "GSM-7", 2, 162),  # 76 € (152 septets) fit a part, 77 would need 154
    ("€" * 153, "GSM-7", 3, 306),  # 76 + 76 + 1: the straddling rule costs a third part
    # an extension character exactly at a part boundary moves whole to the next part
    ("a" * 152 + "€" + "a" * 152, "GSM-7", 3, 306),  # 306 septets, yet 3 parts: 152 | € + 151 | 1
    ("a" * 151 + "€" + "a" * 153, "GSM-7", 2, 306),  # 151 + € = 153 exactly, then 153
    ("a" * 152 + "[" + "a" * 10, "GSM-7", 2, 164),
    ("a" * 80 + "\f" * 40, "GSM-7", 1, 160),
    # --- UCS-2 boundaries: 70 / 71, 67 x 2 / +1
    ("ê" * 70, "UCS-2", 1, 70),
    ("ê" * 71, "UCS-2", 2, 71),
    ("ê" + "a" * 69, "UCS-2", 1, 70),
    ("ê" + "a" * 70, "UCS-2", 2, 71),
    ("ê" * 134, "UCS-2", 2, 134),
    ("ê" * 135, "UCS-2", 3, 135),
    ("😀" * 35, "UCS-2", 1, 70),
    ("😀" * 36, "UCS-2", 2, 72),  # 33 emoji (66 units) per part
    ("😀" * 67, "UCS-2", 3, 134),  # 33 + 33 + 1: a pair never straddles
    # a surrogate pair at a UCS-2 boundary moves whole to the next part
    ("ê" * 66 + "😀" + "a" * 66, "UCS-2", 3, 134),  # 66 | 😀 + 65 | 1
    ("ê" * 65 + "😀" + "a" * 67, "UCS-2", 2, 134),  # 65 + 😀 = 67 exactly, then 67
    ("ê" * 66 + "😀" + "a" * 4, "UCS-2", 2, 72),
    # an extension character inside a UCS-2 text is just one UTF-16 unit
    ("ê" + "€" * 69, "UCS-2", 1, 70),
]


def test_the_corpus_is_big_enough() -> None:
    assert len(CORPUS) >= 50


@pytest.mark.parametrize(("text", "encoding", "parts", "units"), CORPUS)
def test_corpus(text: str, encoding: str, parts: int, units: int) -> None:
    counted = count_segments(text)
    assert (counted.encoding, counted.parts, counted.units) == (encoding, parts, units)
    assert counted.characters == len(text)
    assert count_parts(text) == (encoding, parts)
    assert is_gsm7(text) is (encoding == "GSM-7")


def test_the_corpus_texts_have_the_lengths_claimed() -> None:
    assert [len(FACTURE), len(COLIS), len(CODE), len(RAPPEL), len(PROMO)] == [120, 136, 129, 127, 131]


def test_gsm7_table_sizes() -> None:
    # 128 basic positions minus the escape (0x1B); 9 extension characters plus form feed
    assert len(GSM7_BASIC) == 127
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION
    assert "\x1b" not in GSM7_BASIC
    assert "ç" not in GSM7_BASIC and "Ç" in GSM7_BASIC


def test_single_part_details() -> None:
    assert count_segments("Bonjour") == SegmentCount("GSM-7", 1, 7, 7, 160, 153, ())
    assert count_segments("") == SegmentCount("GSM-7", 0, 0, 0, 160, 160, ())


def test_multi_part_details_and_room_left() -> None:
    counted = count_segments("a" * 200)
    assert (counted.per_part, counted.remaining_in_last_part) == (153, 153 - 47)
    counted = count_segments("a" * 152 + "€" + "a" * 152)
    assert (counted.per_part, counted.remaining_in_last_part) == (153, 152)
    counted = count_segments("ê" * 100)
    assert (counted.per_part, counted.remaining_in_last_part) == (67, 67 - 33)
    counted = count_segments("ê" * 66 + "😀" + "a" * 66)
    assert counted.remaining_in_last_part == 66


def test_ucs2_reports_the_culprits_with_positions() -> None:
    counted = count_segments("L’été à Grand-Bassam 😀")
    assert counted.non_gsm_characters == ((1, "’"), (21, "😀"))
    assert non_gsm_characters("Fête, Noël") == ((1, "ê"), (8, "ë"))
    assert non_gsm_characters("Prix: 5€ [promo]") == ()
    assert count_segments("5€ [promo]").non_gsm_characters == ()


def test_the_culprit_list_is_capped_but_the_count_is_not() -> None:
    counted = count_segments("ê" * 5000)
    assert len(counted.non_gsm_characters) == MAX_REPORTED_CHARACTERS
    assert counted.non_gsm_characters[-1] == (MAX_REPORTED_CHARACTERS - 1, "ê")
    assert counted.parts == 75  # ceil(5000 / 67)
    assert len(non_gsm_characters("ê" * 5000)) == 5000


def test_a_lone_surrogate_counts_as_one_ucs2_unit() -> None:
    counted = count_segments("a\ud800b")
    assert (counted.encoding, counted.units, counted.parts) == ("UCS-2", 3, 1)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("€" * 1_000_000, 13158),  # 76 per part
        ("😀" * 500_000, 15152),  # 33 per part
        ("a" * 2_000_000, 13072),
        (("a" * 150 + "€") * 2000, 2000),  # 304,000 septets, but a € that would straddle wastes one
    ],
)
def test_very_long_texts_are_counted_exactly(text: str, parts: int) -> None:
    assert count_segments(text).parts == parts
    assert count_parts(text)[1] == parts

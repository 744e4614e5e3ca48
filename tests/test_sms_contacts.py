"""Campaign contacts from objects and from CSV text, and the campaign plan built on them."""

from __future__ import annotations

import pytest

from letexto_mcp.sms.campaign import CampaignPlan, plan_campaign
from letexto_mcp.sms.contacts import (
    Contact,
    ContactList,
    ContactsError,
    RejectedContact,
    parse_contacts,
    parse_contacts_csv,
)

AWA, KOFFI, MARIE = "2250707123456", "2250544556677", "2250102030405"

# ---- lists of objects -------------------------------------------------------------------------------


def test_objects_with_phone_or_numero() -> None:
    result = parse_contacts(
        [
            {"phone": "07 07 12 34 56", "name": "Awa"},
            {"numero": "+225 05 44 55 66 77", "name": "Koffi", "age": "31"},
        ]
    )
    assert result == ContactList(
        contacts=[Contact(AWA, {"name": "Awa"}), Contact(KOFFI, {"name": "Koffi", "age": "31"})],
        rejected=[],
        duplicates_merged=0,
        field_names=["name", "age"],
    )


@pytest.mark.parametrize(
    "key",
    [
        "Phone",
        "NUMERO",
        "telephone",
        "Téléphone",
        "tel",
        "mobile",
        "Number",
        "msisdn",
        "phone_number",
        "Phone Number",
        "numéro",
    ],
)
def test_phone_key_aliases_are_case_insensitive(key: str) -> None:
    result = parse_contacts([{key: "0707123456", "name": "Awa"}])
    assert result.contacts == [Contact(AWA, {"name": "Awa"})]


def test_values_are_converted_to_text_and_none_or_blank_means_no_value() -> None:
    result = parse_contacts(
        [
            {
                "phone": "0707123456",
                "age": 31,
                "score": 4.5,
                "vip": True,
                "new": False,
                "city": None,
                "note": "",
                "x": "  ",
            }
        ]
    )
    assert result.contacts[0].fields == {"age": "31", "score": "4.5", "vip": "true", "new": "false"}


def test_a_json_number_is_accepted_as_a_phone() -> None:
    result = parse_contacts([{"phone": 2250707123456}, {"phone": 707123456}])
    assert [c.phone for c in result.contacts] == [AWA]
    assert result.rejected[0].row == 2
    assert "0707123456" in result.rejected[0].reason  # the lost leading zero is pointed out


def test_bad_rows_are_set_aside_with_their_index_and_a_reason() -> None:
    result = parse_contacts(
        [
            {"phone": "0707123456", "name": "Awa"},
            {"phone": "07 12 34 56", "name": "Old"},
            {"name": "No phone"},
            "0505050505",
            {"phone": "0505050505", "tags": ["a", "b"]},
            {"phone": "0101010101", "address": {"city": "Abidjan"}},
            {"phone": None},
            {"phone": True},
            {"phone": "0102030405", "name": "Marie"},
        ]
    )
    assert [c.phone for c in result.contacts] == [AWA, MARIE]
    by_row = {r.row: r for r in result.rejected}
    assert sorted(by_row) == [2, 3, 4, 5, 6, 7, 8]
    assert "since 2021" in by_row[2].reason and by_row[2].value == "07 12 34 56"
    assert "no phone number" in by_row[3].reason
    assert "not an object" in by_row[4].reason
    assert "'tags' is a list" in by_row[5].reason
    assert "'address' is an object" in by_row[6].reason
    assert "empty or not text" in by_row[7].reason
    assert "empty or not text" in by_row[8].reason


def test_duplicates_are_merged_first_occurrence_wins() -> None:
    result = parse_contacts(
        [
            {"phone": "0707123456", "name": "Awa"},
            {"phone": "+225 07 07 12 34 56", "name": "Awa bis"},
            {"phone": "2250707123456", "name": "Awa ter"},
            {"phone": "0544556677", "name": "Koffi"},
        ]
    )
    assert result.contacts == [Contact(AWA, {"name": "Awa"}), Contact(KOFFI, {"name": "Koffi"})]
    assert result.duplicates_merged == 2


def test_phone_and_numero_together_must_agree() -> None:
    result = parse_contacts(
        [
            {"phone": "0707123456", "numero": "+2250707123456", "name": "Awa"},
            {"phone": "0544556677", "numero": "0102030405"},
        ]
    )
    assert result.contacts == [Contact(AWA, {"name": "Awa"})]  # numero is never a field
    assert result.rejected[0].row == 2
    assert "different numbers" in result.rejected[0].reason


def test_a_lower_ranked_alias_beside_phone_stays_a_field() -> None:
    result = parse_contacts([{"phone": "0707123456", "mobile": "0544556677"}])
    assert result.contacts == [Contact(AWA, {"mobile": "0544556677"})]


def test_landlines_are_kept_with_a_warning_naming_the_row() -> None:
    result = parse_contacts([{"phone": "0707123456"}, {"phone": "27 21 23 45 67"}])
    assert [c.phone for c in result.contacts] == [AWA, "2252721234567"]
    assert len(result.warnings) == 1
    assert result.warnings[0].startswith("row 2: ") and "landline" in result.warnings[0]


def test_warnings_are_capped() -> None:
    items = [{"phone": f"27 21 {i // 100:02d} {i % 100:02d} 00"} for i in range(120)]
    result = parse_contacts(items)
    assert len(result.contacts) == 120
    assert len(result.warnings) == 51
    assert "70 more" in result.warnings[-1]


def test_field_names_follow_first_appearance_across_rows() -> None:
    result = parse_contacts([{"phone": "0707123456", "b": "1"}, {"phone": "0544556677", "a": "2", "b": "3"}])
    assert result.field_names == ["b", "a"]


@pytest.mark.parametrize(
    ("items", "words"),
    [
        ([], "empty"),
        ({"phone": "0707123456"}, "list of objects"),
        ("0707123456", "list of objects"),
        (b"phone", "list of objects"),
        (42, "list of objects"),
        ([{"name": "Awa"}, {"nom": "Koffi"}], "none of the contacts has a phone number"),
    ],
)
def test_whole_input_problems_raise_contacts_error(items: object, words: str) -> None:
    with pytest.raises(ContactsError, match=words):
        parse_contacts(items)  # type: ignore[arg-type]


def test_other_default_region() -> None:
    result = parse_contacts([{"phone": "06 12 34 56 78"}], default_region="FR")
    assert [c.phone for c in result.contacts] == ["33612345678"]


# ---- CSV --------------------------------------------------------------------------------------------


def test_csv_with_commas() -> None:
    result = parse_contacts_csv("phone,name\n0707123456,Awa\n05 44 55 66 77,Koffi\n")
    assert result.contacts == [Contact(AWA, {"name": "Awa"}), Contact(KOFFI, {"name": "Koffi"})]
    assert result.field_names == ["name"]


def test_csv_with_semicolons_bom_crlf_quotes_and_blank_lines() -> None:
    text = (
        "\ufeffNuméro;Prénom;Ville\r\n"
        "\r\n"
        '"07 07 12 34 56";"Awa";"Abidjan; Cocody"\r\n'
        "   \r\n"
        '0544556677;"Ko ""KK"" ffi";\r\n'
    )
    result = parse_contacts_csv(text)
    assert result.contacts == [
        Contact(AWA, {"Prénom": "Awa", "Ville": "Abidjan; Cocody"}),
        Contact(KOFFI, {"Prénom": 'Ko "KK" ffi'}),
    ]
    assert result.rejected == []
    assert result.field_names == ["Prénom", "Ville"]


def test_csv_with_tabs_as_pasted_from_a_spreadsheet() -> None:
    result = parse_contacts_csv("name\ttel\nAwa\t0707123456\n")
    assert result.contacts == [Contact(AWA, {"name": "Awa"})]


def test_csv_delimiter_is_sniffed_outside_quotes() -> None:
    result = parse_contacts_csv('"phone";"note, with commas, inside"\n0707123456;hello\n')
    assert result.contacts == [Contact(AWA, {"note, with commas, inside": "hello"})]


def test_csv_rows_report_their_line_numbers_header_being_line_one() -> None:
    text = (
        "phone,name\n"  # 1
        "0707123456,Awa\n"  # 2
        "\n"  # 3 (blank, skipped)
        "0544556677\n"  # 4 (too few values)
        "0102030405,Marie,extra\n"  # 5 (too many)
        '0101010101,"two\nlines"\n'  # 6-7 (quoted newline)
        "07 12 34 56,Old\n"  # 8
        ",Nobody\n"  # 9
        "0707123456,Awa again\n"  # 10 (duplicate)
        "bad,Letters\n"  # 11
    )
    result = parse_contacts_csv(text)
    assert result.contacts == [
        Contact(AWA, {"name": "Awa"}),
        Contact("2250101010101", {"name": "two\nlines"}),
    ]
    assert [(r.row, r.value) for r in result.rejected] == [
        (4, "0544556677"),
        (5, "0102030405,Marie,extra"),
        (8, "07 12 34 56"),
        (9, ",Nobody"),
        (11, "bad"),
    ]
    assert "has 1 values but the header has 2 columns" in result.rejected[0].reason
    assert "has 3 values" in result.rejected[1].reason
    assert "since 2021" in result.rejected[2].reason
    assert "no phone number in column 'phone'" in result.rejected[3].reason
    assert "letters" in result.rejected[4].reason
    assert result.duplicates_merged == 1


def test_csv_empty_cells_mean_no_value_and_cells_are_stripped() -> None:
    result = parse_contacts_csv("phone, name , city\n 0707123456 , Awa ,\n")
    assert result.contacts == [Contact(AWA, {"name": "Awa"})]
    assert result.field_names == ["name", "city"]


def test_csv_numero_column_beside_phone_must_agree() -> None:
    result = parse_contacts_csv("numero,phone,name\n0707123456,+2250707123456,Awa\n0544556677,0102030405,X\n")
    assert result.contacts == [Contact(AWA, {"name": "Awa"})]
    assert result.rejected == [
        RejectedContact(3, "0544556677", "'phone' and 'numero' hold different numbers: keep only one of them")
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("", "empty"),
        ("\ufeff", "empty"),
        ("\n\n  \n", "empty"),
        ("name,city\nAwa,Abidjan\n", "no phone column"),
        ("0707123456,Awa\n0544556677,Koffi\n", "looks like a contact, not a header"),
        ("phone,name,name\n0707123456,a,b\n", "twice"),
    ],
)
def test_csv_whole_input_problems(text: str, words: str) -> None:
    with pytest.raises(ContactsError, match=words):
        parse_contacts_csv(text)


def test_csv_header_only_gives_an_empty_list() -> None:
    result = parse_contacts_csv("phone,name\n")
    assert (result.contacts, result.rejected, result.field_names) == ([], [], ["name"])


def test_csv_that_is_not_text_is_refused() -> None:
    with pytest.raises(ContactsError, match="must be text"):
        parse_contacts_csv(b"phone\n0707123456")  # type: ignore[arg-type]


# ---- the campaign plan ------------------------------------------------------------------------------


def test_plan_counts_each_rendered_message() -> None:
    contacts = [
        Contact(AWA, {"name": "Awa"}),
        Contact(KOFFI, {"name": "Koffi" + "x" * 150}),  # pushes this one into two parts
        Contact(MARIE, {"name": "Gaëlle"}),  # ë makes this one UCS-2
        Contact("2250101010101", {}),  # no name: excluded
    ]
    plan = plan_campaign("Bonjour {{name}}, votre colis est arrivé.", contacts, samples=2)
    assert plan == CampaignPlan(
        messages=3,
        total_parts=4,
        parts_distribution={1: 2, 2: 1},
        encodings={"GSM-7": 2, "UCS-2": 1},
        max_parts=2,
        samples=[
            (AWA, "Bonjour Awa, votre colis est arrivé."),
            (KOFFI, "Bonjour Koffi" + "x" * 150 + ", votre colis est arrivé."),
        ],
        missing=[RejectedContact(4, "2250101010101", plan.missing[0].reason)],
        non_gsm_characters=[],
    )
    assert "{{name}}" in plan.missing[0].reason


def test_plan_phone_placeholders_are_the_contact_number() -> None:
    plan = plan_campaign("Votre ligne {{numero}} / {{phone}}", [Contact(AWA, {})])
    assert plan.samples == [(AWA, f"Votre ligne {AWA} / {AWA}")]


def test_plan_reports_non_gsm_characters_of_the_template() -> None:
    plan = plan_campaign("Bonne fête {{name}} !", [Contact(AWA, {"name": "Awa"})])
    assert plan.non_gsm_characters == [(7, "ê")]
    assert plan.encodings == {"GSM-7": 0, "UCS-2": 1}


def test_plan_of_nobody() -> None:
    plan = plan_campaign("Bonjour", [])
    assert (plan.messages, plan.total_parts, plan.max_parts, plan.parts_distribution, plan.samples) == (
        0,
        0,
        0,
        {},
        [],
    )


def test_contacts_keep_the_row_the_caller_wrote_them_at() -> None:
    objects = parse_contacts([{"phone": "07071234"}, {"phone": AWA}, {"phone": AWA}, {"phone": KOFFI}])
    assert [(c.phone, c.row) for c in objects.contacts] == [(AWA, 2), (KOFFI, 4)]
    csv = parse_contacts_csv("phone;name\n\n0707123456;Awa\nbad;X\n0544556677;Koffi\n")
    assert [(c.phone, c.row) for c in csv.contacts] == [(AWA, 3), (KOFFI, 5)]


def test_plan_reports_a_contact_set_aside_at_the_callers_row() -> None:
    """After rows rejected or merged earlier, the row is the caller's, not the position among the kept."""
    contacts = parse_contacts(
        [{"phone": "07071234", "name": "X"}, {"phone": AWA, "name": "Awa"}, {"phone": AWA}, {"phone": KOFFI}]
    ).contacts
    plan = plan_campaign("Bonjour {{name}}", contacts)
    assert [(m.row, m.value) for m in plan.missing] == [(4, KOFFI)]


def test_csv_to_plan_end_to_end() -> None:
    contacts = parse_contacts_csv("numero;nom\n07 07 12 34 56;Awa\n+225 05 44 55 66 77;Koffi\n").contacts
    plan = plan_campaign("Bonjour {{nom}}, à demain !", contacts)
    assert (plan.messages, plan.total_parts, plan.encodings["GSM-7"]) == (2, 2, 2)
    assert plan.samples[1] == (KOFFI, "Bonjour Koffi, à demain !")


# ---- adversarial CSV --------------------------------------------------------------------------------


def test_csv_with_a_huge_cell_is_refused_as_a_whole() -> None:
    with pytest.raises(ContactsError, match="cannot be read near line 2"):
        parse_contacts_csv("phone,name\n0707123456," + "x" * 200_000 + "\n")


def test_csv_with_control_characters_rejects_only_that_row() -> None:
    result = parse_contacts_csv("phone,name\n0707\x00123456,A\n0544556677,B\n")
    assert [c.phone for c in result.contacts] == [KOFFI]
    assert result.rejected[0].row == 2 and "control" in result.rejected[0].reason


def test_csv_with_an_unclosed_quote_swallows_the_rest_into_one_rejected_row() -> None:
    result = parse_contacts_csv('phone,name\n"0707123456,A\n0544556677,B\n')
    assert result.contacts == []
    assert [r.row for r in result.rejected] == [2]


def test_csv_injection_like_cells_are_kept_as_plain_text() -> None:
    result = parse_contacts_csv('phone,name\n0707123456,"=HYPERLINK(""http://x"")"\n')
    assert result.contacts == [Contact(AWA, {"name": '=HYPERLINK("http://x")'})]


def test_errors_never_echo_a_huge_input() -> None:
    garbage = "\x00" * 400_000
    with pytest.raises(ContactsError) as caught:
        parse_contacts_csv("x" * 100_000 + "," + garbage[:100_000] + "\n1,2\n")
    assert len(str(caught.value)) < 1_000
    with pytest.raises(ContactsError) as caught:
        parse_contacts_csv(",".join(f"col{i}" for i in range(10_000)) + "\n")
    assert len(str(caught.value)) < 1_000 and "9990 more" in str(caught.value)
    with pytest.raises(ContactsError) as caught:
        parse_contacts_csv("phone," + "n" * 100_000 + "," + "n" * 100_000 + "\n")
    assert len(str(caught.value)) < 1_000
    result = parse_contacts([{"phone": "0707123456", "k" * 100_000: {"nested": 1}}])
    assert len(result.rejected[0].reason) < 200 and len(result.rejected[0].value) <= 80


def test_missing_field_reasons_stay_short() -> None:
    names = [f"{'f' * 1000}{i}" for i in range(50)]
    template = " ".join("{{" + name + "}}" for name in names)
    plan = plan_campaign(template, [Contact(AWA, {})])
    assert len(plan.missing[0].reason) < 1_000
    assert "40 more" in plan.missing[0].reason


# ---- messages that render blank ---------------------------------------------------------------------


def test_a_contact_whose_values_leave_the_message_blank_is_set_aside() -> None:
    contacts = [
        Contact(AWA, {"first": "Awa", "last": ""}, row=1),
        Contact(KOFFI, {"first": "\u200b", "last": "\ufeff "}, row=2),
        Contact(MARIE, {"first": "\u3164", "last": "K."}, row=3),
    ]
    plan = plan_campaign("{{first}} {{last}}\n", contacts)
    assert plan.messages == 2
    assert [s[0] for s in plan.samples] == [AWA, MARIE]
    [blank] = plan.missing
    assert (blank.row, blank.value) == (2, KOFFI)
    assert "no visible text" in blank.reason and "{{first}}, {{last}}" in blank.reason
    assert "U+200B" in blank.reason and "\u200b" not in blank.reason and "\ufeff" not in blank.reason


def test_a_template_with_visible_text_or_the_number_never_renders_blank() -> None:
    contacts = [Contact(AWA, {"msg": "\u200b"})]
    assert plan_campaign("Bonjour {{msg}}", contacts).messages == 1
    assert plan_campaign("{{msg}}{{phone}}", contacts).messages == 1
    assert plan_campaign("\u200b{{msg}} ", contacts).missing[0].row == 1  # no row: the 1-based index

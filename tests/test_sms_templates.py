"""`{{field}}` templates: syntax, rendering, missing values."""

from __future__ import annotations

import pytest

from letexto_mcp.sms.templates import MissingFields, missing_fields, placeholders, render, vendor_template

# ---- placeholders -----------------------------------------------------------------------------------


def test_placeholders_are_unique_and_in_order_of_first_use() -> None:
    text = "Bonjour {{name}}, {{ age }} ans. Merci {{name}} ! {{ville}}"
    assert placeholders(text) == ["name", "age", "ville"]


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("{{a}}", ["a"]),
        ("{{ a }}", ["a"]),
        ("{{   a\t}}", ["a"]),
        ("{{first_name}} {{last-name}} {{user.city}} {{x1}}", ["first_name", "last-name", "user.city", "x1"]),
        ("{{prénom}}", ["prénom"]),
        ("{{numero}} {{phone}}", ["numero", "phone"]),
        ("{{ first name }}", []),
        ("{single}", []),
        ("{{}}", []),
        ("{{ }}", []),
        ("{{a", []),
        ("a}}", []),
        ("{{{a}}}", ["a"]),
        ("{{a}}{{b}}", ["a", "b"]),
        ("no placeholders at all", []),
        ("", []),
    ],
)
def test_placeholder_syntax(text: str, names: list[str]) -> None:
    assert placeholders(text) == names


# ---- render -----------------------------------------------------------------------------------------


def test_render_replaces_every_occurrence() -> None:
    text = "Bonjour {{ name }}, votre code est {{code}}. À bientôt {{name}} !"
    assert (
        render(text, {"name": "Awa", "code": "4821"}) == "Bonjour Awa, votre code est 4821. À bientôt Awa !"
    )


def test_render_leaves_non_placeholders_alone() -> None:
    text = "{{ first name }} {single} {{name}} }} {{"
    assert render(text, {"name": "Awa"}) == "{{ first name }} {single} Awa }} {{"


def test_render_without_placeholders_returns_the_text() -> None:
    assert render("Bonjour", {}) == "Bonjour"


def test_values_are_inserted_verbatim_not_reinterpreted() -> None:
    fields = {"name": "{{code}} {0} %s \\n", "code": "1234"}
    assert render("Bonjour {{name}}", fields) == "Bonjour {{code}} {0} %s \\n"
    assert render("{{name}}-{{code}}", fields) == "{{code}} {0} %s \\n-1234"


def test_phone_and_numero_stand_in_for_each_other() -> None:
    assert render("Votre numéro : {{phone}}", {"numero": "2250707123456"}) == "Votre numéro : 2250707123456"
    assert render("Votre numéro : {{numero}}", {"phone": "2250707123456"}) == "Votre numéro : 2250707123456"
    assert missing_fields("{{phone}} {{numero}}", {"phone": "1"}) == []


def test_non_string_values_are_rendered_as_text() -> None:
    assert render("{{age}} ans", {"age": 12}) == "12 ans"  # type: ignore[dict-item]
    assert render("{{a}}/{{b}}", {"a": 1, "b": "x"}) == "1/x"  # type: ignore[dict-item]


def test_missing_fields_raise_with_all_names_in_order() -> None:
    with pytest.raises(MissingFields) as caught:
        render("{{a}} {{b}} {{c}} {{b}}", {"b": "x"})
    assert caught.value.fields == ["a", "c"]
    assert isinstance(caught.value, KeyError)
    assert "{{a}}, {{c}}" in str(caught.value)


def test_none_counts_as_missing() -> None:
    with pytest.raises(MissingFields) as caught:
        render("Bonjour {{name}}", {"name": None})  # type: ignore[dict-item]
    assert caught.value.fields == ["name"]
    assert missing_fields("{{name}} {{age}}", {"name": "Awa"}) == ["age"]
    assert missing_fields("{{name}}", {"name": ""}) == []  # empty is a value here; contacts drop blanks


def test_vendor_template_is_canonical_and_uses_numero() -> None:
    text = "Bonjour {{ name }}, ligne {{phone}} / {{ numero }}. {{ first name }} {{a.b}}"
    assert (
        vendor_template(text) == "Bonjour {{name}}, ligne {{numero}} / {{numero}}. {{ first name }} {{a.b}}"
    )
    contact = {"numero": "2250707123456", "name": "Awa", "a.b": "x"}
    assert render(vendor_template(text), contact) == render(text, contact)

"""Handlebars expressions in a field's Source (services.profiles.source_templates)."""

import pytest

from profilestack.services.profiles.source_templates import MOST_CHARACTERS, MOST_STEPS, TemplateError, parse, render

ORDER = {"firstName": "Ann", "lastName": "O'Neil", "email": "ann@example.com", "ts": 1712, "vip": True,
         "points": 0, "rate": 2.0, "tags": [], "address": {"city": "Lyon"},
         "items": [{"sku": "A1", "qty": 2}, {"sku": "B2", "qty": 1}]}


@pytest.mark.parametrize(("source", "text"), [
    ("{{_source.firstName}} {{_source.lastName}}", "Ann O'Neil"),  # values as they are: not HTML-escaped
    ("{{_source.email}}_{{_source.ts}}", "ann@example.com_1712"),
    ("web", "web"),  # no expression: a constant
    ("{{{_source.address.city}}}", "Lyon"),
    ("{{_source.missing}}", ""),
    ("{{_source.vip}}/{{_source.rate}}/{{_source.address}}", "true/2/[object Object]"),
    ("{{#if _source.vip}}gold{{else}}standard{{/if}}", "gold"),
    ("{{#if _source.points}}has points{{else}}none{{/if}}", "none"),  # 0 is false, as in Handlebars
    ("{{#if _source.tags}}tagged{{/if}}", ""),  # so is an empty array
    ("{{#unless _source.missing}}unknown{{/unless}}", "unknown"),
    ("{{#each _source.items}}{{this.sku}}x{{qty}}{{#unless @last}},{{/unless}}{{/each}}", "A1x2,B2x1"),
    ("{{#each _source.items}}{{@index}}{{/each}}", "01"),
    ("{{#each _source.address}}{{@key}}={{this}}{{/each}}", "city=Lyon"),
    ("{{#each _source.tags}}x{{else}}no tags{{/each}}", "no tags"),
    ("{{! a comment }}{{!-- another, with }} --}}ok", "ok"),
    ("  {{~_source.firstName~}}  !", "Ann!"),
])
def test_sources_render_as_handlebars_does(source: str, text: str) -> None:
    assert render(source, ORDER) == text


@pytest.mark.parametrize(("source", "message"), [
    ("{{#if _source.vip}}gold", "The #if block is not closed."),
    ("gold{{/if}}", "{{/if}} closes no open block."),
    ("{{#each _source.items}}{{/if}}", "{{/if}} closes no open block."),
    ("{{else}}", "{{else}} outside an #if, #unless or #each block."),
    ("{{#with _source.address}}{{city}}{{/with}}", "The block helper with is not supported; use #if, #unless, #each."),
    ("{{> partial}}", "{{> partial}} is not supported"),
    ("{{lookup _source.items 0}}", "{{lookup _source.items 0}} is not supported"),
    ("{{../x}}", "{{../x}} is not supported"),
    ("{{{_source.x}}", "{{{_source.x}} opens and closes with a different number of braces."),
    ("{{_source.x", "Unbalanced {{ and }}."),
])
def test_what_is_not_read_is_refused_with_the_reason(source: str, message: str) -> None:
    with pytest.raises(TemplateError) as refused:
        parse(source)
    assert str(refused.value).startswith(message)


def test_an_expression_that_would_run_too_long_gives_up() -> None:
    """Three nested #each over a hundred items are a million steps: refused, not run for minutes."""
    nested = "{{#each _source.a}}{{#each _source.a}}{{#each _source.a}}x{{/each}}{{/each}}{{/each}}"
    with pytest.raises(TemplateError) as refused:
        render(nested, {"a": list(range(100))})
    assert str(refused.value) == f"The expression takes more than {MOST_STEPS:,} steps for this object."
    assert render(nested, {"a": list(range(10))}) == "x" * 1000


def test_an_expression_whose_value_would_be_too_long_gives_up() -> None:
    long_text = "{{#each _source.a}}" + "y" * 900 + "{{/each}}"
    with pytest.raises(TemplateError) as refused:
        render(long_text, {"a": list(range(300))})
    assert str(refused.value) == f"The expression's value is longer than {MOST_CHARACTERS:,} characters."
    assert len(render(long_text, {"a": list(range(200))})) == 180_000

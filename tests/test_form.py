"""The form file: the default form, and the one-line errors of a broken one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.domain.form import (
    CompareRule,
    Comparison,
    Form,
    FormError,
    SpikeRule,
    Text,
    load_form,
    normalise_label,
)
from bot.i18n import LOCALES, catalog, placeholders

DOMAIN = Path(__file__).resolve().parent.parent / "bot" / "domain"


@pytest.fixture(scope="module")
def form() -> Form:
    return load_form()


def test_default_form_questions_in_order(form: Form) -> None:
    assert [field.key for field in form.questions()] == [
        "screened",
        "households_visited",
        "arrivals",
        "arrivals_risk",
        "home_iso_in",
        "home_iso_out",
        "central_iso_in",
        "central_iso_out",
        "fever_found",
        "fever_referred",
        "close_contacts",
        "disinfection",
        "difficulties",
    ]
    assert [stock.key for stock in form.stocks()] == ["home_isolation", "central_isolation"]
    assert form.field("home_isolation").inflows == ["home_iso_in"]
    assert form.field("home_isolation").outflows == ["home_iso_out"]
    assert not form.field("difficulties").required
    assert all(field.kind == "count" for field in form.questions()[:-1])


def test_default_form_is_short_enough_for_a_phone(form: Form) -> None:
    for field in form.fields:
        assert len(field.label.zh) <= 12, field.key
        assert len(field.label.en) <= 40, field.key
        assert len(field.help.zh) <= 45, field.key
        assert len(field.help.en) <= 110, field.key
        assert field.kind == "text" or field.unit is not None, field.key


def test_default_form_has_bounds_on_every_count(form: Form) -> None:
    assert all(field.max is not None for field in form.counts())
    households = form.field("households_visited").max
    assert households is not None and households < 12000


def test_default_form_incident_categories(form: Form) -> None:
    keys = [category.key for category in form.incident_categories]
    assert keys == [
        "fever",
        "suspected",
        "refuse_iso",
        "leave_iso",
        "gathering",
        "risk_arrival",
        "rumour",
        "equipment",
        "supply",
        "other",
    ]
    urgent = {category.key for category in form.incident_categories if category.urgent}
    assert urgent == {"suspected", "leave_iso"}
    assert form.category("suspected").label("zh_CN") == "疑似病例"
    assert form.has_category("rumour")
    assert not form.has_category("nope")
    with pytest.raises(KeyError):
        form.category("nope")


def test_default_form_rules(form: Form) -> None:
    hard = [rule.id for rule in form.rules if rule.severity == "hard"]
    assert len(hard) == 4
    spikes = [rule for rule in form.rules if isinstance(rule, SpikeRule)]
    assert len(spikes) == 1
    spike = spikes[0]
    assert (spike.factor, spike.window_days, spike.min_history) == (3, 14, 3)
    assert form.spike_fields(spike) == [field.key for field in form.counts()]
    checks = {
        rule.id: (rule.check.left, rule.check.op, rule.check.right)
        for rule in form.rules
        if isinstance(rule, CompareRule)
    }
    assert checks["home_iso_release_within_managed"] == (
        "home_iso_out",
        "<=",
        ["home_isolation.opening", "home_iso_in"],
    )
    assert checks["households_within_grid"] == ("households_visited", "<=", "grid.households")
    assert checks["disinfection_done"] == ("disinfection", ">=", 1)


def test_accessors(form: Form) -> None:
    assert form.field("screened").label("zh_CN") == "排查人数"
    assert form.field("screened").label("en") == "People screened"
    assert form.has_field("screened") and not form.has_field("nope")
    with pytest.raises(KeyError):
        form.field("nope")
    assert {field.kind for field in form.counts()} == {"count"}


def test_involved_fields(form: Form) -> None:
    rule = next(r for r in form.rules if r.id == "home_iso_release_within_managed")
    assert isinstance(rule, CompareRule)
    assert form.involved(rule.check) == ("home_iso_out", "home_iso_in")
    ask_if = form.field("home_iso_out").ask_if
    assert ask_if is not None
    assert form.involved(ask_if) == ("home_iso_in",)
    assert form.involved(ask_if) == ("home_iso_in",)  # the second time from what it kept
    same = Comparison(left=ask_if.left, op=ask_if.op, right=ask_if.right)
    assert form.involved(same) == ("home_iso_in",)  # another object, worked out itself


def test_lookups_kept_by_a_form_leave_it_as_it_was(form: Form) -> None:
    """What a form keeps for its look-ups is neither data of the form nor part of its
    equality: a form used a thousand times equals and dumps as the same form read anew."""
    fresh = load_form()
    assert form.field("screened") == fresh.field("screened")
    for rule in form.rules:
        if isinstance(rule, CompareRule):
            assert form.involved(rule.check)
    assert form == fresh and fresh == form
    assert form.model_dump() == fresh.model_dump()
    assert form.questions() is not form.questions()  # a caller's list to change


def test_text_picks_the_language() -> None:
    text = Text(zh="排查", en="Screened")
    assert text("zh_CN") == "排查"
    assert text("en") == "Screened"


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("排查人数", "排查人数"),
        (" 排查 人数 ", "排查人数"),
        ("1. 排查人数", "排查人数"),
        ("①排查人数", "排查人数"),
        ("(2)排查人数", "排查人数"),
        ("三、排查人数", "排查人数"),
        ("排查人数（人）", "排查人数"),
        ("困难和诉求（选填）", "困难和诉求"),
        ("People Screened (people)", "peoplescreened"),
        ("Difficulties and requests (optional)", "difficultiesandrequests"),
        ("ＳＣＲＥＥＮＥＤ", "screened"),
    ],
)
def test_normalise_label(raw: str, normal: str) -> None:
    assert normalise_label(raw) == normal


def test_form_strings_in_both_catalogs_with_same_placeholders() -> None:
    zh, en = (
        {k: v for k, v in catalog(locale).items() if k.startswith("form.")} for locale in LOCALES
    )
    assert zh.keys() == en.keys()
    for key in zh:
        assert placeholders(zh[key]) == placeholders(en[key]), key


def test_no_eval_in_form_logic() -> None:
    for name in ("form", "numbers", "rules", "stocks", "template", "summary"):
        source = (DOMAIN / f"{name}.py").read_text("utf-8")
        assert not re.search(r"(?<![.\w])(eval|exec|compile|__import__)\(", source), name


# --- broken form files -------------------------------------------------------------------


def _field(key: str, kind: str = "count", extra: str = "") -> str:
    return (
        f'[[fields]]\nkey = "{key}"\nkind = "{kind}"\n'
        f'label = {{ zh = "标签{key}", en = "Label {key}" }}\n'
        f'help = {{ zh = "说明", en = "Help" }}\n{extra}\n'
    )


HEADER = 'version = 1\ntitle = { zh = "测试", en = "Test" }\n\n'
GOOD = (
    HEADER
    + _field("arrivals")
    + _field("arrivals_risk", extra='ask_if = { left = "arrivals", op = ">", right = 0 }')
    + _field("iso_in")
    + _field("iso_out")
    + _field("iso", "stock", 'inflows = ["iso_in"]\noutflows = ["iso_out"]')
)


def _load(tmp_path: Path, text: str) -> Form:
    path = tmp_path / "form.toml"
    path.write_text(text, "utf-8")
    return load_form(path)


def _error(tmp_path: Path, text: str) -> FormError:
    with pytest.raises(FormError) as caught:
        _load(tmp_path, text)
    for locale in LOCALES:
        line = caught.value.render(locale)
        assert "\n" not in line
        assert str(tmp_path / "form.toml") in line
    return caught.value


def test_good_minimal_form(tmp_path: Path) -> None:
    form = _load(tmp_path, GOOD)
    assert [field.key for field in form.questions()] == [
        "arrivals",
        "arrivals_risk",
        "iso_in",
        "iso_out",
    ]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FormError) as caught:
        load_form(tmp_path / "nope.toml")
    assert caught.value.key == "form.load.reason.missing"
    assert "nope.toml" in caught.value.render("zh_CN")


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD + "\nkey = = 3\n")
    assert error.key == "form.load.reason.syntax"
    assert "line" in error.render("en")


def test_pydantic_error_names_field_index_and_key(tmp_path: Path) -> None:
    text = GOOD.replace('ask_if = { left = "arrivals", op = ">", right = 0 }', "ask_if = 3")
    error = _error(tmp_path, text)
    assert error.where == "fields[1] (arrivals_risk).ask_if"
    assert "fields[1] (arrivals_risk).ask_if" in error.render("zh_CN")


def test_bad_operand_type(tmp_path: Path) -> None:
    text = GOOD.replace("right = 0 }", "right = 0.5 }")
    error = _error(tmp_path, text)
    assert error.where == "fields[1] (arrivals_risk).ask_if.right"


def test_bad_key_pattern(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace('key = "iso_in"', 'key = "Iso In"'))
    assert error.where is not None and error.where.startswith("fields[2] (Iso In).key")


def test_unknown_property(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD.replace('kind = "count"', 'kind = "count"\ncolour = "red"', 1))
    assert error.where == "fields[0] (arrivals).colour"


@pytest.mark.parametrize(
    ("text", "where", "key"),
    [
        (
            GOOD + _field("arrivals"),
            "fields[5] (arrivals).key",
            "form.load.reason.duplicate",
        ),
        (
            GOOD.replace('left = "arrivals"', 'left = "arrival"'),
            "fields[1] (arrivals_risk).ask_if",
            "form.load.reason.unknown_ref",
        ),
        (
            GOOD.replace('left = "arrivals"', 'left = "arrivals.opening"'),
            "fields[1] (arrivals_risk).ask_if",
            "form.load.reason.opening_not_stock",
        ),
        (
            GOOD.replace('left = "arrivals"', 'left = "iso_in"'),
            "fields[1] (arrivals_risk).ask_if",
            "form.load.reason.ask_if_later",
        ),
        (
            GOOD.replace('left = "arrivals"', 'left = "iso"'),
            "fields[1] (arrivals_risk).ask_if",
            "form.load.reason.ask_if_later",
        ),
        (
            GOOD.replace('left = "arrivals"', 'left = "grid.size"'),
            "fields[1] (arrivals_risk).ask_if",
            "form.load.reason.unknown_grid",
        ),
        (
            GOOD + _field("note", "text", 'ask_if = { left = "note", op = ">", right = 0 }'),
            "fields[5] (note).ask_if",
            "form.load.reason.not_number",
        ),
        (
            GOOD.replace('inflows = ["iso_in"]', 'inflows = ["iso_x"]'),
            "fields[4] (iso).inflows",
            "form.load.reason.unknown_ref",
        ),
        (
            GOOD + _field("note", "text") + _field("s2", "stock", 'inflows = ["note"]'),
            "fields[6] (s2).inflows",
            "form.load.reason.flow_not_count",
        ),
        (
            GOOD + _field("s2", "stock"),
            "fields[5] (s2).inflows",
            "form.load.reason.no_flows",
        ),
        (
            GOOD + _field("c", "count", 'inflows = ["iso_in"]'),
            "fields[5] (c).inflows",
            "form.load.reason.flows_unexpected",
        ),
        (
            GOOD + _field("pick", "choice"),
            "fields[5] (pick).choices",
            "form.load.reason.choices_missing",
        ),
        (
            GOOD + _field("c", "count", "min = 5\nmax = 2"),
            "fields[5] (c).max",
            "form.load.reason.max_below_min",
        ),
        (
            GOOD + _field("c", "count", 'aliases = ["Label arrivals"]'),
            "fields[5] (c).label",
            "form.load.reason.label_clash",
        ),
        (
            GOOD + _field("grid"),
            "fields[5].key",
            "form.load.reason.reserved",
        ),
    ],
)
def test_cross_reference_errors(tmp_path: Path, text: str, where: str, key: str) -> None:
    error = _error(tmp_path, text)
    assert (error.where, error.key) == (where, key)
    assert where in error.render("en")


RULE = """
[[rules]]
type = "compare"
id = "r1"
severity = "hard"
check = {{ left = "{left}", op = "<=", right = "arrivals" }}
message = {{ zh = "{message}", en = "{message}" }}
"""


def test_rule_with_unknown_field(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD + RULE.format(left="nope", message="{left}"))
    assert (error.where, error.key) == ("rules[0] (r1).check", "form.load.reason.unknown_ref")


def test_rule_with_unknown_placeholder(tmp_path: Path) -> None:
    error = _error(tmp_path, GOOD + RULE.format(left="arrivals_risk", message="{median}"))
    assert (error.where, error.key) == ("rules[0] (r1).message", "form.load.reason.placeholder")
    assert "{median}" in error.render("en")


def test_rule_with_unknown_type(tmp_path: Path) -> None:
    text = GOOD + RULE.format(left="arrivals_risk", message="x").replace("compare", "magic")
    error = _error(tmp_path, text)
    assert error.where == "rules[0] (r1)"


def test_spike_rule_on_a_stock(tmp_path: Path) -> None:
    text = (
        GOOD
        + '[[rules]]\ntype = "spike"\nid = "s"\nfields = ["iso"]\n'
        + 'message = { zh = "{field}", en = "{field}" }\n'
    )
    error = _error(tmp_path, text)
    assert (error.where, error.key) == ("rules[0] (s).fields", "form.load.reason.not_count")


def test_duplicate_rule_ids(tmp_path: Path) -> None:
    rule = RULE.format(left="arrivals_risk", message="{left}")
    error = _error(tmp_path, GOOD + rule + rule)
    assert (error.where, error.key) == ("rules[1] (r1).id", "form.load.reason.duplicate")


def test_long_category_key(tmp_path: Path) -> None:
    text = (
        GOOD
        + '[[incident_categories]]\nkey = "a_very_long_category_key"\n'
        + 'label = { zh = "类", en = "Kind" }\n'
    )
    error = _error(tmp_path, text)
    assert error.where == "incident_categories[0] (a_very_long_category_key).key"

"""The one-screen page's checks, at the domain level: the chat's parser and rules on the chat's
draft, with the page's own moves (answers in any order, clearing a field, the incident list
at once)."""

from __future__ import annotations

from datetime import date

import pytest

from bot.domain.draft import Draft
from bot.domain.form import Form, load_form
from bot.webapp.views import (
    Refused,
    apply_answer,
    review,
    set_incidents,
    shown_fields,
    skip_unanswered_optional,
    state_view,
    unanswered,
)

DAY = date(2026, 11, 22)


@pytest.fixture
def form() -> Form:
    return load_form()


@pytest.fixture
def draft() -> Draft:
    return Draft.start(
        day=DAY,
        grid_id=1,
        grid_name="第一网格",
        openings={"home_isolation": 0, "central_isolation": 0},
        pending_baseline=["home_isolation"],
        grid_facts={"households": 445, "population": 1276},
    )


def test_counts_are_read_as_in_chat_and_placeholders_refused(form: Form, draft: Draft) -> None:
    assert apply_answer(form, draft, "screened", "一百零五", "zh_CN") == []
    assert draft.values["screened"] == 105
    with pytest.raises(Refused) as refused:
        apply_answer(form, draft, "screened", "约50", "en")
    assert "50" in refused.value.messages[0]
    assert "screened" not in draft.values  # a refused answer is not kept


def test_a_conditional_question_is_shown_only_once_its_condition_holds(
    form: Form, draft: Draft
) -> None:
    assert "arrivals_risk" not in shown_fields(form, draft)
    apply_answer(form, draft, "arrivals", "0", "en")
    assert "arrivals_risk" not in shown_fields(form, draft)
    apply_answer(form, draft, "arrivals", "2", "en")
    assert "arrivals_risk" in shown_fields(form, draft)
    apply_answer(form, draft, "arrivals_risk", "2", "en")
    with pytest.raises(Refused):  # the hard rule, as in chat: of which > the whole
        apply_answer(form, draft, "arrivals", "1", "en")
    apply_answer(form, draft, "arrivals_risk", "0", "en")
    apply_answer(form, draft, "arrivals", "0", "en")  # the condition no longer holds
    assert "arrivals_risk" not in draft.values


def test_clearing_an_opening_asks_for_it_again(form: Form, draft: Draft) -> None:
    apply_answer(form, draft, "home_isolation.opening", "45", "en")
    assert draft.pending_baseline == [] and draft.baseline == {"home_isolation": 45}
    apply_answer(form, draft, "home_iso_in", "3", "en")
    assert state_view(form, draft, 1)["stocks"]["home_isolation"] == {"opening": 45, "closing": 48}
    apply_answer(form, draft, "home_isolation.opening", "", "en")
    assert draft.pending_baseline == ["home_isolation"] and draft.baseline == {}
    assert unanswered(form, draft, "en")[0] == "In home isolation"


def test_incidents_are_checked_and_an_urgent_kind_is_always_urgent(
    form: Form, draft: Draft
) -> None:
    with pytest.raises(Refused) as refused:
        set_incidents(form, draft, [{"category": "fever", "description": "13812345678"}], "en")
    assert refused.value.messages[0].startswith("1. ")
    assert draft.incidents == []
    set_incidents(form, draft, [{"category": "suspected", "description": "Lin X.X."}], "en")
    assert draft.incidents[0].urgent and draft.incidents_done
    with pytest.raises(Refused):
        set_incidents(form, draft, [{"category": "no-such-kind", "description": "x"}], "en")


def test_an_empty_optional_text_is_skipped_and_the_review_is_the_chats(
    form: Form, draft: Draft
) -> None:
    apply_answer(form, draft, "home_isolation.opening", "0", "zh_CN")
    for field in form.questions():
        if field.kind == "count" and field.key in shown_fields(form, draft):
            apply_answer(
                form, draft, field.key, "1" if field.key == "disinfection" else "0", "zh_CN"
            )
    assert unanswered(form, draft, "zh_CN") == []
    skip_unanswered_optional(form, draft)
    assert draft.values["difficulties"] is None
    checked = review(form, draft, "zh_CN")
    assert checked["hard"] == [] and checked["soft"] == []
    assert "困难和诉求：未填写" in checked["lines"]

"""The draft's transitions as methods of the domain Draft (no Telegram, no database)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.domain.draft import (
    DRAFT_KEY,
    ZERO_KEY,
    Draft,
    DraftIncident,
    draft_revision,
    drop_draft,
    keep_draft,
)
from bot.domain.models import Incident, Report, ReportKind, ReportVersion
from bot.domain.rules import Violation

DAY = date(2026, 11, 22)
AT = datetime(2026, 11, 22, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def warning(rule: str, *fields: str) -> Violation:
    return Violation(rule, "soft", fields, {"zh": "?", "en": "?"}, {})


def test_asking_and_doubting_an_answer() -> None:
    draft = Draft.start(day=DAY, grid_id=1)
    draft.ask("screened")
    assert (draft.current, draft.step) == ("screened", 1)
    draft.values["screened"] = 900
    draft.doubt([warning("spike", "screened")])
    assert draft.step == 2 and draft.pending_rules == ["spike:screened=900"]
    assert draft.drop_doubted() == "screened"
    assert "screened" not in draft.values and draft.pending_rules == []
    draft.values["screened"] = 900
    draft.doubt([warning("spike", "screened")])
    draft.keep_doubted()
    assert draft.confirmed == ["spike:screened=900"] and draft.pending_rules == []
    assert draft.unconfirmed([warning("spike", "screened")]) == []


def test_incidents_one_at_a_time() -> None:
    draft = Draft.start(day=DAY, grid_id=1)
    draft.start_incident("fever")
    draft.describe_incident("3号楼1人发热", always_urgent=False)
    draft.mark_urgent(True)
    draft.add_incident()
    draft.start_incident("suspected")
    draft.describe_incident("疑似", always_urgent=True)
    draft.add_incident()
    assert draft.incident_values() == (
        Incident("fever", "3号楼1人发热", True),
        Incident("suspected", "疑似", True),
    )
    assert draft.new_incident is None
    draft.no_more_incidents()
    assert draft.incidents_done
    draft.reopen_incidents()
    assert draft.incidents == [] and not draft.incidents_done


def test_a_template_replaces_the_answers() -> None:
    draft = Draft.start(day=DAY, grid_id=1)
    draft.use_template()
    draft.ask("screened")
    draft.take_template({"screened": 3})
    assert draft.values == {"screened": 3} and not draft.via_template and draft.current is None


def test_for_correction_starts_from_the_current_version() -> None:
    version = ReportVersion(
        version=2,
        kind=ReportKind.ZERO,
        values={"screened": 0},
        incidents=(Incident("fever", "x", False),),
        baseline={"home_isolation": 4},
        created_at=AT,
        created_by=7,
        created_by_name="王娜",
        reason=None,
    )
    report = Report(7, 1, DAY, AT, 7, "王娜", False, (version,))
    draft = Draft.start(day=DAY, grid_id=1, pending_baseline=["home_isolation"])
    draft.for_correction(report)
    assert (draft.mode, draft.report_id, draft.base_version) == ("correct", 7, 2)
    assert draft.values == draft.original == {"screened": 0}
    assert draft.original_kind == ReportKind.ZERO and draft.baseline == {"home_isolation": 4}
    assert draft.pending_baseline == [] and draft.incidents_done
    assert (
        draft.incidents
        == draft.original_incidents
        == [DraftIncident(category="fever", description="x")]
    )
    draft.give_reason("漏报")
    assert draft.reason == "漏报"


def test_a_draft_is_kept_as_its_json_text_and_older_dicts_still_load() -> None:
    draft = Draft.start(day=DAY, grid_id=1, grid_name="第1网格")
    draft.ask("screened")
    draft.values["screened"] = 12
    text = draft.to_data()
    assert isinstance(text, str)
    assert Draft.from_data(text) == draft
    assert Draft.from_data(draft.model_dump(mode="json")) == draft  # as stored before
    assert Draft.from_data('{"id": "x"}') is None  # no day, no grid: not a draft
    assert Draft.from_data("not json") is None
    assert Draft.from_data(None) is None


def test_every_change_of_the_kept_draft_is_one_revision_on() -> None:
    data: dict[str, object] = {}
    assert draft_revision(data) == 0
    draft = Draft.start(day=DAY, grid_id=1)
    assert keep_draft(data, draft) == 1
    assert keep_draft(data, draft) == 1  # unchanged: nothing more to write
    draft.values["screened"] = 7
    assert keep_draft(data, draft) == 2
    data[ZERO_KEY] = {"id": "z"}
    drop_draft(data)  # filed or cancelled: the next draft counts on
    assert draft_revision(data) == 3 and DRAFT_KEY not in data and ZERO_KEY not in data
    drop_draft(data)
    assert draft_revision(data) == 3
    assert keep_draft(data, Draft.start(day=DAY, grid_id=1)) == 4

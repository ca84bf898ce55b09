"""The evaluation pages, exports and API: who may see them, the scope of a street officer,
drill-down to the cases, and exports that say exactly what the page says."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from dispatch.models import Group
from grids.models import Role
from tests.cases.conftest import OTHER_GRID_POINT
from tests.dispatch.evaluation_story import Story

pytestmark = pytest.mark.django_db
NOV = {"period": "month", "date": "2026-11-01"}


def _client(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def _history(story: Story) -> None:
    """Two cases in street 001 (one handled late), one in street 002 left with a street
    office; all in November."""
    on_time = story.report("2026-11-10 09:00")
    story.full_loop(on_time, "2026-11-10")
    late = story.report("2026-11-10 09:00")
    story.to_filed(late, "2026-11-10")
    story.to_handled(late, "2026-11-10", feedback_at="16:00")  # due 15:30
    story.check_and_close(
        late, "2026-11-10", send_check_at="16:10", check_at="16:20", close_at="16:30"
    )
    other = story.report("2026-11-10 09:00", source="hotline_12345", point=OTHER_GRID_POINT)
    story.to_filed(other, "2026-11-10")  # dispatched to a street office, never handled
    story.act(
        other, "dispatch", Role.DISPATCHER, "2026-11-10 09:30", unit_id=story.world.street_office.pk
    )
    story.rebuild("2026-11-01", "2026-11-30")


def test_the_nav_offers_the_evaluation_to_command_staff_and_not_to_inspectors(story: Story):
    supervisor_page = _client(story.user(Role.SHIFT_SUPERVISOR)).get(reverse("dispatch:home"))
    assert b'data-testid="nav-evaluation"' in supervisor_page.content
    inspector = _client(story.user(Role.INSPECTOR))
    assert b'data-testid="nav-evaluation"' not in inspector.get(reverse("dispatch:home")).content
    assert inspector.get(reverse("dispatch:evaluation")).status_code == 403
    assert (
        _client(story.user(Role.UNIT_HANDLER)).get(reverse("dispatch:evaluation")).status_code
        == 403
    )


def test_monthly_ranking_page_and_its_csv_and_xlsx_exports_hold_the_same_figures(story: Story):
    _history(story)
    client = _client(story.user(Role.DISTRICT_LEADER))
    query = {"group": Group.STREET, **NOV}
    page = client.get(reverse("dispatch:evaluation"), query)
    assert page.status_code == 200
    headers = page.context["table"]["headers"]
    cells = [row_cells for _row, row_cells in page.context["table"]["rows"]]
    assert sorted(c[2] for c in cells) == ["370203001", "370203002"]
    html = page.content.decode()
    for row in cells:
        for cell in row:
            assert cell in html

    exported = client.get(reverse("dispatch:evaluation-csv"), query)
    assert exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0] == headers
    assert rows[1:] == cells

    xlsx = client.get(reverse("dispatch:evaluation-xlsx"), query)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(r) for r in sheet.iter_rows(min_row=2, values_only=True)]
    assert [str(v) for v in values[0]] == headers
    for xlsx_row, page_row in zip(values[1:], cells, strict=True):
        for xlsx_cell, page_cell in zip(xlsx_row, page_row, strict=True):
            if isinstance(xlsx_cell, int | float):
                assert Decimal(str(xlsx_cell)) == Decimal(page_cell)
            else:
                assert str(xlsx_cell) == page_cell


def test_subject_page_explains_the_score_and_drills_down_to_the_late_case(story: Story):
    _history(story)
    client = _client(story.user(Role.DISTRICT_LEADER))
    unit = story.world.department.pk
    page = client.get(reverse("dispatch:evaluation-subject", args=["unit", unit]), NOV)
    assert page.status_code == 200
    handling = next(i for i in page.context["components"] if i["c"].key == "handling_on_time")
    assert (handling["c"].hits, handling["c"].total, handling["value"]) == (1, 2, "50.0")
    late = client.get(
        reverse("dispatch:evaluation-cases", args=["unit", unit]),
        {**NOV, "metric": "unit_handling_on_time", "outcome": "miss"},
    )
    assert late.status_code == 200
    [case] = late.context["page"].object_list
    assert case.handled_at is not None
    all_cases = client.get(
        reverse("dispatch:evaluation-cases", args=["unit", unit]),
        {**NOV, "metric": "unit_handling_on_time", "outcome": "all"},
    )
    assert all_cases.context["page"].paginator.count == 2


def test_street_officer_sees_their_street_only_and_gets_404_for_the_other(story: Story):
    _history(story)
    client = _client(story.user(Role.STREET_OFFICER))
    page = client.get(reverse("dispatch:evaluation"), {"group": Group.STREET, **NOV})
    assert [row.subject for row, _cells in page.context["table"]["rows"]] == ["370203001"]
    units = client.get(reverse("dispatch:evaluation"), {"group": Group.UNIT, **NOV})
    # Their street office, not the district's department.
    assert [row.subject for row, _cells in units.context["table"]["rows"]] == [
        str(story.world.street_office.pk)
    ]
    other = client.get(reverse("dispatch:evaluation-subject", args=["street", "370203002"]), NOV)
    assert other.status_code == 404
    drill = client.get(
        reverse("dispatch:evaluation-cases", args=["street", "370203002"]),
        {**NOV, "metric": "region_closing"},
    )
    assert drill.status_code == 404


def test_bad_period_or_group_answers_400_with_the_reason_on_the_page(story: Story):
    client = _client(story.user(Role.SHIFT_SUPERVISOR))
    response = client.get(
        reverse("dispatch:evaluation"),
        {"period": "custom", "start": "2026-11-30", "end": "2026-11-01"},
    )
    assert response.status_code == 400
    assert "end" in response.context["field_errors"]
    assert client.get(reverse("dispatch:evaluation"), {"group": "planets"}).status_code == 400
    assert client.get(reverse("dispatch:evaluation"), {"date": "2026-02-30"}).status_code == 400


def test_trend_json_gives_six_months_with_the_current_one_last(story: Story):
    _history(story)
    data = (
        _client(story.user(Role.DISTRICT_LEADER))
        .get(reverse("dispatch:evaluation-trend"), {"group": Group.UNIT, **NOV})
        .json()
    )
    assert [p["period"] for p in data["points"]][-2:] == ["2026-10", "2026-11"]
    assert len(data["points"]) == 6
    assert data["points"][-1]["score"] is not None
    assert data["points"][0]["score"] is None


# --- API ----------------------------------------------------------------------------------------


def test_api_scores_match_the_page_and_say_numerator_and_denominator(story: Story):
    _history(story)
    client = _client(story.user(Role.DISTRICT_LEADER))
    body = client.get("/api/v1/evaluation/scores/", {"group": "unit", **NOV}).json()
    row = next(r for r in body["rows"] if r["subject"] == str(story.world.department.pk))
    handling = next(c for c in row["components"] if c["key"] == "handling_on_time")
    assert (handling["hits"], handling["total"], handling["value"]) == (1, 2, 50.0)
    assert body["period"] == {
        "kind": "month",
        "start": "2026-11-01",
        "end": "2026-11-30",
        "label": "2026-11",
    }
    page = client.get(reverse("dispatch:evaluation"), {"group": "unit", **NOV})
    cells = next(c for r, c in page.context["table"]["rows"] if r.subject == row["subject"])
    assert str(row["score"]) == cells[3]
    one = client.get(f"/api/v1/evaluation/scores/unit/{story.world.department.pk}/", NOV).json()
    assert one["score"] == row["score"]
    cases = client.get(
        "/api/v1/evaluation/cases/",
        {
            "group": "unit",
            "subject": story.world.department.pk,
            "metric": "unit_handling_on_time",
            "outcome": "hit",
            **NOV,
        },
    ).json()
    assert cases["count"] == 1


def test_api_rejects_bad_input_with_field_errors_and_refuses_the_wrong_roles(story: Story):
    client = _client(story.user(Role.DISPATCHER))
    bad = client.get(
        "/api/v1/evaluation/scores/", {"group": "unit", "period": "week", "date": "1999-01-01"}
    )
    assert bad.status_code == 400
    assert set(bad.json()) >= {"code", "message", "errors"}
    assert "date" in bad.json()["errors"]
    missing = client.get("/api/v1/evaluation/scores/", {"period": "month"})
    assert missing.status_code == 400
    assert "group" in missing.json()["errors"]
    wrong_metric = client.get(
        "/api/v1/evaluation/cases/", {"group": "unit", "subject": "1", "metric": "inspector_check"}
    )
    assert wrong_metric.status_code == 400
    assert "metric" in wrong_metric.json()["errors"]
    inspector = _client(story.user(Role.INSPECTOR))
    assert inspector.get("/api/v1/evaluation/scores/", {"group": "unit"}).status_code == 403
    street = _client(story.user(Role.STREET_OFFICER))
    assert street.get("/api/v1/evaluation/scores/street/370203002/", NOV).status_code == 404


def test_the_openapi_schema_documents_the_evaluation_endpoints(story: Story):
    schema = (
        _client(story.user(Role.DISTRICT_LEADER))
        .get("/api/schema/", HTTP_ACCEPT="application/json")
        .json()
    )
    for path in (
        "/api/v1/evaluation/scores/",
        "/api/v1/evaluation/scores/{group}/{subject}/",
        "/api/v1/evaluation/cases/",
    ):
        assert "get" in schema["paths"][path]


def test_the_admin_edits_the_rules_and_only_shows_the_statistics(story: Story):
    _history(story)
    from grids.models import User

    admin_user = User.objects.create_superuser("root", password="pw-123456!")
    client = _client(admin_user)
    for model in ("scoreweight", "volumestep", "gradeband", "dailystat", "evaluationfact"):
        assert client.get(f"/admin/dispatch/{model}/").status_code == 200
    weight = client.get("/admin/dispatch/scoreweight/").content.decode()
    assert "valid_report" in weight
    assert client.get("/admin/dispatch/dailystat/add/").status_code == 403


def test_a_name_that_looks_like_a_formula_is_exported_as_text(story: Story):
    from grids.models import Region

    _history(story)
    Region.objects.filter(code="370203001").update(name='=HYPERLINK("http://evil.example")')
    client = _client(story.user(Role.DISTRICT_LEADER))
    query = {"group": Group.STREET, **NOV}
    exported = client.get(reverse("dispatch:evaluation-csv"), query)
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig"))))
    names = [cell for row in rows[1:] for cell in row if "HYPERLINK" in cell]
    assert names == ['\'=HYPERLINK("http://evil.example")']
    xlsx = client.get(reverse("dispatch:evaluation-xlsx"), query)
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    cells = [c for row in sheet.iter_rows(min_row=3) for c in row if "HYPERLINK" in str(c.value)]
    assert [(c.data_type, c.value[0]) for c in cells] == [("s", "'")]

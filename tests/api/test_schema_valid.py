"""Issue 14: the OpenAPI schema validates without a warning, and it says what the endpoints
answer (one "Report" component, the regions' FeatureCollection)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml
from django.conf import settings


def test_the_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yaml"
    # As CI runs it, in a process of its own (drf-spectacular counts warnings per process, and
    # other tests generate the schema under settings of their own). --fail-on-warn exits
    # non-zero on any warning or error drf-spectacular reports.
    command = [sys.executable, "manage.py", "spectacular", "--validate", "--fail-on-warn"]
    result = subprocess.run(  # noqa: S603
        [*command, "--file", str(target)],
        cwd=Path(settings.BASE_DIR),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    schema = yaml.safe_load(target.read_text())
    components = schema["components"]["schemas"]

    regions = components["PaginatedRegionList"]
    assert set(regions["required"]) == {"type", "count", "features"}
    assert "features" in regions["properties"]

    scores = schema["paths"]["/api/v1/evaluation/scores/"]["get"]["responses"]["200"]
    assert scores["content"]["application/json"]["schema"]["$ref"].endswith("/EvaluationReport")
    assert "Error" in components
    assert "HandheldError" not in components  # one error body, one component

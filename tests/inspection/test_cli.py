"""`dudao inspection frameworks list|show|validate`."""

from __future__ import annotations

import yaml
from typer.testing import CliRunner

from dudao.cli import app
from dudao.standards.checklists import CHECKLIST_DIR

runner = CliRunner()


def test_list_and_show():
    r = runner.invoke(app, ["inspection", "frameworks", "list"], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "quality2021" in r.output and "sitevisit2017" in r.output
    r = runner.invoke(app, ["inspection", "frameworks", "show", "quality2021", "--level", "county"],
                      env={"COLUMNS": "250"})
    assert r.exit_code == 0 and "价值导向" in r.output and "（暂定）" in r.output and "品德发展" not in r.output
    r = runner.invoke(app, ["inspection", "frameworks", "show", "nope"])
    assert r.exit_code == 2 and "quality2021" in r.output


def test_validate_names_the_location(tmp_path):
    good = CHECKLIST_DIR / "sitevisit2017.yaml"
    r = runner.invoke(app, ["inspection", "frameworks", "validate", str(good)], env={"COLUMNS": "200"})
    assert r.exit_code == 0 and "27 个考查要点" in r.output
    data = yaml.safe_load(good.read_text(encoding="utf-8"))
    data["levels"][0]["areas"][2]["indicators"][1]["points"][0]["rubric"] = "stars"
    bad = tmp_path / "edited.yaml"
    bad.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    r = runner.invoke(app, ["inspection", "frameworks", "validate", str(bad)], env={"COLUMNS": "250"})
    assert r.exit_code == 1
    assert "levels[school].areas[V3].indicators[V3.2].points[V3.2.1].rubric" in r.output
    assert "E_CHECKLIST_RUBRIC" in r.output

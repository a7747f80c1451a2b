"""Storing a county's check: encryption at rest (no plain ID number or name anywhere in the database),
nothing stored from a bad file, proposed matches confirmed or rejected by a person (audited), key rotation."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.db import connection

from dudao.aid import crypto
from dudao.aid.errors import AidError
from dudao.aid.models import AidLine, AidPerson, AidProposal, AidRun
from dudao.aid.services import check_county, decide, export_xlsx, notice_rows, reveal, rotate_keys
from dudao.audit.models import AuditEvent
from dudao.audit.services import Actor
from dudao.settings import InsecureSettingsError
from tests.aid.conftest import COUNTY, TERM, check

pytestmark = pytest.mark.django_db


def _all_text() -> str:
    """Every row of every table of the project, as text."""
    parts = []
    with connection.cursor() as cur:
        for model in apps.get_models():
            cur.execute(f"SELECT * FROM {connection.ops.quote_name(model._meta.db_table)}")
            parts += [" ".join(str(v) for v in row) for row in cur.fetchall()]
    return "\n".join(parts)


def test_nothing_plain_at_rest(stored, files):
    data, _ = files
    people = AidPerson.objects.filter(run=stored)
    assert people.count() > 100
    ids = [i for i in set(data.roster["身份证号"]) if crypto.id_hash(i) in set(people.values_list("id_hash", flat=True))]
    names = set(data.roster[data.roster["身份证号"].isin(ids)]["姓名"])
    assert len(ids) == people.filter(on_roster=True).count()
    text = _all_text()
    leaked = [i for i in ids if i in text] + [n for n in names if len(n) == 3 and n in text]
    assert leaked == []
    if connection.vendor == "sqlite":  # and the database file itself
        raw = connection.connection.serialize()  # the database's bytes, as they would be written to its file
        assert len(raw) > 100_000 and crypto.id_hash(ids[0]).encode() in raw  # the copy holds the data
        assert not [i for i in ids if i.encode() in raw]
    p = people.filter(on_roster=True).first()
    assert p.id_mask.count("*") == 10 and crypto.decrypt(p.id_enc) in ids


def test_bad_file_stores_nothing(liaoning, files, tmp_path):
    data, p = files
    bad = data.roster.copy()
    bad.loc[3, "身份证号"] = bad.loc[3, "身份证号"][:17] + ("1" if bad.loc[3, "身份证号"][17] != "1" else "2")
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    with pytest.raises(AidError) as exc:
        check_county(COUNTY, TERM, [path], [p["list_civil"]], [p["payments"]], actor="tester")
    assert [(i.file, i.row, i.column, i.code) for i in exc.value.issues] == [("bad.csv", 5, "B", "E_ID_CHECK")]
    assert not AidRun.objects.exists() and not AidPerson.objects.exists()
    assert AuditEvent.objects.filter(object_type="aid.files", detail__outcome="refused").exists()


def test_findings_stored(stored, files):
    data, _ = files
    got = sorted((ln.person.id_hash, ln.programme) for ln in AidLine.objects.filter(run=stored, finding="unpaid"))
    assert got == sorted((crypto.id_hash(i), p) for i, p in data.truth["unpaid"])
    totals = {t["programme"]: t for t in stored.totals}
    assert totals["living_day"]["not_eligible"] == 2


def test_confirming_a_proposal_applies_it_and_is_audited(stored, files):
    pending = list(AidProposal.objects.filter(run=stored))
    assert len(pending) == 2 and all(p.status == "pending" for p in pending)
    first, second = pending
    person = first.person
    assert not person.lines.filter(programme__startswith="living").exists()
    actor = Actor("checker", "county_bureau", COUNTY)
    decide(first, True, actor, "户籍信息一致")
    line = person.lines.get(programme__startswith="living")
    assert line.eligible and line.confirmed_match and line.finding == "unpaid" and line.categories == "wurenfuyang"
    decide(second, False, actor, "不是同一人")
    assert not second.person.lines.filter(programme__startswith="living").exists()
    events = AuditEvent.objects.filter(object_type="aid.proposal", actor="checker")
    assert sorted(e.detail["status"] for e in events) == ["confirmed", "rejected"]
    with pytest.raises(AidError):
        decide(first, False, actor)
    # a new check of the same county and term keeps the decisions
    again = check(files)[0]
    assert AidRun.objects.get(pk=stored.pk).current is False
    assert sorted(AidProposal.objects.filter(run=again).values_list("status", flat=True)) == ["confirmed", "rejected"]
    assert AidLine.objects.filter(run=again, person__id_hash=person.id_hash, programme__startswith="living",
                                  eligible=True).exists()


def test_reveal_and_export_are_audited_and_watermarked(stored):
    actor = Actor("clerk", "school_clerk", COUNTY)
    person = AidPerson.objects.filter(run=stored, on_roster=True).first()
    shown = reveal(person, actor)
    assert len(shown.id_number) == 18 and shown.id_number != person.id_mask
    ev = AuditEvent.objects.get(action="view_personal", actor="clerk")
    assert ev.detail["person"] == person.id_mask and shown.id_number not in str(ev.detail)
    lines = list(AidLine.objects.filter(run=stored, finding="unpaid").select_related("person", "run__county"))
    body = export_xlsx(lines, actor, unmasked=False, title="t")
    sheet = pd.read_excel(io.BytesIO(body), header=None, engine="openpyxl")
    assert "导出人：clerk" in str(sheet.iloc[1, 0])
    assert set(sheet.iloc[4:, 2]) == {ln.person.id_mask for ln in lines}
    assert AuditEvent.objects.filter(action="export", object_type="aid.lines", actor="clerk", detail__unmasked=False).exists()
    body = export_xlsx(lines, actor, unmasked=True, title="t")
    sheet = pd.read_excel(io.BytesIO(body), header=None, dtype=str, engine="openpyxl")
    assert all(len(v) == 18 and "*" not in v for v in sheet.iloc[4:, 2])
    assert AuditEvent.objects.filter(action="view_personal", object_type="aid.people", actor="clerk").exists()


def test_notice_never_shows_the_category(stored):
    school = AidLine.objects.filter(run=stored, eligible=True, programme__startswith="living").first().school_code
    rows = notice_rows(school, TERM)
    assert rows and set(rows[0]) == {"name", "id", "section", "grade", "programme"}
    assert all("*" in r["id"] for r in rows)


def test_key_rotation(stored, monkeypatch):
    person = AidPerson.objects.filter(run=stored, on_roster=True).first()
    plain = crypto.decrypt(person.id_enc)
    old = crypto._fernet()._fernets[0]
    new_key = Fernet.generate_key().decode()
    try:
        monkeypatch.setenv(crypto.KEYS_ENV, new_key)
        crypto.reset_keys()
        with pytest.raises(InsecureSettingsError):  # the new key alone cannot read the old values
            crypto.decrypt(person.id_enc)
        monkeypatch.setenv(crypto.KEYS_ENV, f"{new_key},{_key_text(old)}")
        crypto.reset_keys()
        assert rotate_keys() == AidPerson.objects.count()
        monkeypatch.setenv(crypto.KEYS_ENV, new_key)
        crypto.reset_keys()
        person.refresh_from_db()
        assert crypto.decrypt(person.id_enc) == plain
    finally:
        monkeypatch.delenv(crypto.KEYS_ENV)
        crypto.reset_keys()


def _key_text(f: Fernet) -> str:
    import base64

    return base64.urlsafe_b64encode(f._signing_key + f._encryption_key).decode()



def test_cli_check_ids_and_coverage_export_audited(liaoning, files, tmp_path):
    from typer.testing import CliRunner

    from dudao.cli import app

    data, p = files
    runner = CliRunner()
    ok = runner.invoke(app, ["aid", "check-ids", str(p["roster"])])
    assert ok.exit_code == 0, ok.output
    bad = data.roster.copy()
    bad.loc[0, "身份证号"] = "11010519491231002Y"
    path = tmp_path / "bad.csv"
    bad.to_csv(path, index=False)
    errors = tmp_path / "errors.csv"
    res = runner.invoke(app, ["aid", "check-ids", str(path), "--errors", str(errors)])
    assert res.exit_code == 1 and "E_ID_FORMAT" in res.output
    assert "E_ID_FORMAT" in errors.read_text(encoding="utf-8-sig")
    out = tmp_path / "lines.parquet"
    res = runner.invoke(app, ["aid", "coverage", "--county", COUNTY, "--term", TERM, "--roster", str(p["roster"]),
                              "--lists", str(p["list_civil"]), "--payments", str(p["payments"]), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert out.exists() and AuditEvent.objects.filter(action="export", object_type="aid.lines", object_id=out.name).exists()

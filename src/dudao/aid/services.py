"""Aid services: check a county's files and store the results, confirm proposed matches, reveal and export
personal data (audited), notices (公示), summaries per region."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
from django.db import transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone

from dudao.aid import crypto
from dudao.aid.errors import AidError, AidMessage
from dudao.aid.idnumber import mask_id, mask_name
from dudao.aid.models import AidLine, AidNotice, AidPerson, AidProposal, AidRun
from dudao.aid.pipeline import Result, roster_rows, run
from dudao.aid.rules import load_aid_rules, parse_term, rule_frames, term_days, term_key, term_start
from dudao.audit.services import Actor, record
from dudao.orgunits.models import OrgUnit

FINDING_ORDER = ("unpaid", "not_eligible", "twice", "amount", "ok")


def _sha256(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _money(v: Any) -> Decimal | None:
    if v is None:
        return None
    return Decimal(str(round(float(v), 2)))


# ---------------------------------------------------------------- checking and storing


def check_county(county: str, term: str, roster: list[Path], lists: list[Path], payments: list[Path],
                 actor: str = "", today: dt.date | None = None) -> tuple[AidRun, Result]:
    """Checks the files and stores the term's results for the county; raises AidError (with every located
    problem in ``issues``) and stores nothing when any file has an error."""
    try:
        key = term_key(term)
    except ValueError:
        raise AidError(AidMessage.TERM, term=term) from None
    unit = OrgUnit.objects.filter(code=county, level=OrgUnit.Level.COUNTY).first()
    if unit is None:
        raise AidError(AidMessage.COUNTY_UNKNOWN, county=county)
    previous = AidRun.objects.filter(county=unit, term=key, current=True).first()
    decided = _decisions(previous)
    confirmed = [(h, c) for (h, c), st in decided.items() if st == AidProposal.Status.CONFIRMED]
    result = run(roster, lists, payments, key, hash_key=crypto.hash_key(), county=county, confirmed=confirmed, today=today)
    who = Actor(actor) if actor else None
    inputs = [{"file": c.file, "kind": c.kind, "rows": c.rows, "errors": c.issue_count} for c in result.checked]
    if not result.ok:
        record("import", "aid.files", county, {"term": key, "outcome": "refused", "inputs": inputs}, actor=who,
               object_unit=county)
        first = next(c for c in result.checked if not c.ok)
        issues = [i for c in result.checked for i in c.issues]
        raise AidError(AidMessage.FILE_UNREADABLE, issues=issues,
                       detail=f"{first.file}：{first.issue_count} 处错误，未导入任何数据 / {first.issue_count} errors, nothing imported")
    for item, path in zip(inputs, [*roster, *lists, *payments], strict=True):
        item["sha256"] = _sha256(path)
    with transaction.atomic():
        aid_run = _store(unit, key, result, actor, inputs, decided)
        if previous is not None:
            AidRun.objects.filter(pk=previous.pk).update(current=False)
        record("import", "aid.run", aid_run.pk, {"term": key, "inputs": inputs, "totals": aid_run.totals}, actor=who,
               object_unit=county)
    return aid_run, result


def _decisions(previous: AidRun | None) -> dict[tuple[str, str], str]:
    if previous is None:
        return {}
    return {(p.person.id_hash, p.category): p.status
            for p in previous.proposals.select_related("person").exclude(status=AidProposal.Status.PENDING)}


def _store(unit: OrgUnit, term: str, result: Result, actor: str, inputs: list[dict[str, Any]],
           decided: dict[tuple[str, str], str]) -> AidRun:
    assert result.lines is not None and result.proposals is not None
    lines = result.lines.to_pylist()
    proposals = result.proposals.to_pylist()
    students = sum(c.rows for c in result.checked if c.kind == "roster")
    aid_run = AidRun.objects.create(county=unit, term=term, actor=actor, rules_version=load_aid_rules().version,
                                    inputs=inputs, students=students)
    hashes = {ln["id_hash"] for ln in lines} | {p["id_hash"] for p in proposals}
    rows = {r["id_hash"]: r for r in roster_rows(result, hashes)}
    paid_names = _payment_names(result)
    people = []
    for h in sorted(hashes):
        r = rows.get(h)
        if r is None:  # paid but not on the roster: what the payment file says
            name, idn, school = paid_names.get(h, ("", "", ""))
            r = {"name": name, "id_number": idn, "school_code": school, "school_name": "", "section": "", "grade": None,
                 "boarding": None}
        people.append(AidPerson(run=aid_run, id_hash=h, id_enc=crypto.encrypt(r["id_number"] or ""),
                                name_enc=crypto.encrypt(r["name"] or ""), id_mask=mask_id(r["id_number"] or ""),
                                name_mask=mask_name(r["name"] or ""), school_code=r["school_code"] or "",
                                school_name=r.get("school_name") or "", section=r.get("section") or "",
                                grade=r.get("grade"), boarding=r.get("boarding"), on_roster=h in rows))
    AidPerson.objects.bulk_create(people, batch_size=2000)
    by_hash = {p.id_hash: p for p in AidPerson.objects.filter(run=aid_run)}
    confirmed = {h for (h, _c), st in decided.items() if st == AidProposal.Status.CONFIRMED}
    AidLine.objects.bulk_create([_line(aid_run, by_hash[ln["id_hash"]], ln, ln["id_hash"] in confirmed) for ln in lines],
                                batch_size=2000)
    props = []
    for p in proposals:
        status = decided.get((p["id_hash"], p["category"]), AidProposal.Status.PENDING)
        props.append(AidProposal(run=aid_run, person=by_hash[p["id_hash"]], category=p["category"], list_file=p["file"],
                                 list_row=p["list_row"], county_code=p["county_code"],
                                 list_id_mask=mask_id(p["list_id"]) if p.get("list_id") else "", status=status))
    AidProposal.objects.bulk_create(props)
    aid_run.totals = totals_of(aid_run)
    aid_run.save(update_fields=["totals"])
    return aid_run


def _line(aid_run: AidRun, person: AidPerson, ln: dict[str, Any], confirmed: bool) -> AidLine:
    return AidLine(run=aid_run, person=person, programme=ln["programme"], school_code=ln["school_code"] or person.school_code,
                   categories=ln["categories"] or "", tier=ln["tier"], eligible=bool(ln["eligible"]), due=_money(ln["due"]),
                   paid=_money(ln["paid"]) or Decimal("0"), payments=int(ln["payments"] or 0),
                   paid_schools=int(ln["paid_schools"] or 0), finding=ln["finding"],
                   confirmed_match=confirmed and bool(ln["eligible"]) and bool(ln["categories"]))


def _payment_names(result: Result) -> dict[str, tuple[str, str, str]]:
    out = {}
    for c in result.checked:
        if c.kind == "payments" and c.data is not None:
            for h, n, i, s in zip(c.data["id_hash"].to_pylist(), c.data["name"].to_pylist(), c.data["id_number"].to_pylist(),
                                  c.data["school_code"].to_pylist(), strict=True):
                out.setdefault(h, (n or "", i or "", s or ""))
    return out


def totals_of(aid_run: AidRun) -> list[dict[str, Any]]:
    """Per programme: due, paid and each finding, from the stored lines."""
    agg = {f: Count("pk", filter=Q(finding=f)) for f in FINDING_ORDER}
    rows = (aid_run.lines.values("programme")
            .annotate(eligible=Count("pk", filter=Q(eligible=True)), due=Sum("due"), paid=Sum("paid"),
                      paid_students=Count("pk", filter=Q(payments__gt=0)), **agg).order_by("programme"))
    return [{k: (float(v) if isinstance(v, Decimal) else v) for k, v in r.items()} for r in rows]


# ---------------------------------------------------------------- proposed matches


@transaction.atomic
def decide(proposal: AidProposal, accept: bool, actor: Actor, comment: str = "") -> AidProposal:
    """Confirms or rejects a proposed match (audited). A confirmation makes the student due what the
    category gives, worked out by the engine for this one student; the run's totals are updated."""
    proposal = AidProposal.objects.select_for_update().select_related("person", "run").get(pk=proposal.pk)
    if proposal.status != AidProposal.Status.PENDING:
        raise AidError(AidMessage.PROPOSAL_DONE, status=proposal.get_status_display())
    proposal.status = AidProposal.Status.CONFIRMED if accept else AidProposal.Status.REJECTED
    proposal.decided_by, proposal.decided_at, proposal.comment = actor.username, timezone.now(), comment[:500]
    proposal.save()
    if accept:
        _apply_match(proposal)
    record("update", "aid.proposal", proposal.pk, {"status": proposal.status, "category": proposal.category,
                                                   "person": proposal.person.id_mask, "comment": comment[:200]},
           actor=actor, object_unit=proposal.run.county.code)
    return proposal


def _apply_match(proposal: AidProposal) -> None:
    """Recomputes the needy programmes of one student with the confirmed category added (same engine code)."""
    import ibis

    from dudao.engine import aid as engine

    person, aid_run = proposal.person, proposal.run
    con = ibis.duckdb.connect()
    cats = {c for ln in person.lines.all() for c in ln.categories.split(",") if c} | {proposal.category}
    start = term_start(aid_run.term)
    roster = con.create_table("r", pa.table({
        "row": [1], "name": [""], "id_hash": [person.id_hash], "birth": pa.array([None], pa.date32()),
        "county_code": [aid_run.county.code], "school_code": [person.school_code], "section": [person.section],
        "grade": pa.array([person.grade], pa.int64()), "boarding": pa.array([person.boarding], pa.bool_()),
        "nutrition": [False], "public": [False], "enrolled_on": pa.array([None], pa.date32())}))
    matched = con.create_table("m", pa.table({"id_hash": [person.id_hash] * len(cats), "category": sorted(cats)}))
    frames = {k: con.create_table(k, pa.Table.from_pandas(v, preserve_index=False)) for k, v in rule_frames().items()}
    needy = {p.id for p in load_aid_rules().programmes if p.who == "needy"}
    old = {ln.programme: ln for ln in person.lines.all()}
    pay_rows = [(person.id_hash, ln.programme, float(ln.paid) / ln.payments, ln.school_code)
                for ln in old.values() for _ in range(ln.payments)]
    payments = con.create_table("p", pa.table({
        "row": pa.array(range(len(pay_rows)), pa.int64()), "school_code": pa.array([p[3] for p in pay_rows], pa.string()),
        "id_hash": pa.array([p[0] for p in pay_rows], pa.string()), "programme": pa.array([p[1] for p in pay_rows], pa.string()),
        "amount": pa.array([p[2] for p in pay_rows], pa.float64())}))
    due = engine.eligibility(roster, matched, frames, start, term_days(aid_run.term))
    lines = engine.coverage(due, payments, frames["groups"]).to_pyarrow().to_pylist()
    person.lines.filter(programme__in=needy).delete()
    AidLine.objects.bulk_create([_line(aid_run, person, ln, True) for ln in lines if ln["programme"] in needy])
    aid_run.totals = totals_of(aid_run)
    aid_run.save(update_fields=["totals"])


# ---------------------------------------------------------------- personal data: reveal, export


@dataclass(frozen=True)
class Revealed:
    name: str
    id_number: str


def reveal(person: AidPerson, actor: Actor, purpose: str = "view") -> Revealed:
    """The decrypted name and ID number; every call is audited (who looked at whom, when)."""
    record("view_personal", "aid.person", person.pk, {"person": person.id_mask, "school": person.school_code,
                                                     "term": person.run.term, "purpose": purpose},
           actor=actor, object_unit=person.run.county.code)
    return Revealed(crypto.decrypt(person.name_enc), crypto.decrypt(person.id_enc))


def reveal_many(people: list[AidPerson], actor: Actor, purpose: str) -> dict[int, Revealed]:
    """Decrypts a list (a page or an export) with one audit event naming every person shown."""
    if not people:
        return {}
    run0 = people[0].run
    record("view_personal", "aid.people", f"{run0.pk}:{len(people)}",
           {"purpose": purpose, "term": run0.term, "people": [p.id_mask for p in people][:500], "count": len(people)},
           actor=actor, object_unit=run0.county.code)
    return {p.pk: Revealed(crypto.decrypt(p.name_enc), crypto.decrypt(p.id_enc)) for p in people}


def export_xlsx(lines: list[AidLine], actor: Actor, unmasked: bool, title: str) -> bytes:
    """The lines as a workbook watermarked with the user and time on every sheet (cell text, page header)."""
    import xlsxwriter

    from dudao.aid.labels import finding_label, programme_label

    now = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    mark = f"导出人：{actor.username}（{actor.org_unit}） {now} 仅限学生资助工作使用，不得外传 / exported by {actor.username} {now}"
    people = list({ln.person_id: ln.person for ln in lines}.values())
    plain = reveal_many(people, actor, "export") if unmasked else {}
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("资助名单")
    ws.set_header(f"&C{mark}")
    ws.set_footer(f"&L{actor.username} {now}&R&P/&N")
    bold = wb.add_format({"bold": True})
    ws.write(0, 0, title, bold)
    ws.write(1, 0, mark, wb.add_format({"font_color": "#999999", "italic": True}))
    headers = ["学校标识码", "姓名", "身份证号", "学段", "资助项目", "困难类别", "应发金额", "实发金额", "发放次数", "核查结果"]
    ws.write_row(3, 0, headers, bold)
    rules = load_aid_rules()
    for i, ln in enumerate(lines, start=4):
        p = ln.person
        shown = plain.get(p.pk)
        cats = "、".join(rules.category(c).zh for c in ln.categories.split(",") if c)
        ws.write_row(i, 0, [ln.school_code, shown.name if shown else p.name_mask, shown.id_number if shown else p.id_mask,
                            p.section, programme_label(ln.programme), cats, float(ln.due) if ln.due is not None else "",
                            float(ln.paid), ln.payments, finding_label(ln.finding)])
    ws.set_column(0, 0, 12)
    ws.set_column(1, 2, 20)
    ws.set_column(4, 4, 36)
    wb.set_properties({"title": title, "author": actor.username, "comments": mark})
    wb.close()
    record("export", "aid.lines", title[:64], {"rows": len(lines), "unmasked": unmasked, "watermark": mark},
           actor=actor, object_unit=lines[0].run.county.code if lines else "")
    return buf.getvalue()


# ---------------------------------------------------------------- summaries


def current_runs(prefix: str, term: str) -> list[AidRun]:
    return list(AidRun.objects.filter(county__code__startswith=prefix, term=term, current=True).select_related("county"))


def terms_with_runs(prefix: str) -> list[str]:
    terms = set(AidRun.objects.filter(county__code__startswith=prefix, current=True).values_list("term", flat=True))
    return sorted(terms, key=lambda t: (parse_term(t)[0], parse_term(t)[1] == "autumn"), reverse=True)


def summary(runs: list[AidRun]) -> list[dict[str, Any]]:
    """Totals per programme over several runs."""
    out: dict[str, dict[str, Any]] = defaultdict(lambda: defaultdict(float))
    for r in runs:
        for row in r.totals:
            acc = out[row["programme"]]
            for k, v in row.items():
                if k != "programme" and v is not None:
                    acc[k] += v
    return [{"programme": p, **v} for p, v in sorted(out.items())]


def by_unit(runs: list[AidRun], level: str) -> list[dict[str, Any]]:
    """Per county (level county) or per school of one county: students due, paid, and the findings."""
    if level == "school":
        qs = AidLine.objects.filter(run__in=runs).values("school_code")
        key = "school_code"
    else:
        qs = AidLine.objects.filter(run__in=runs).values("run__county__code", "run__county__name")
        key = "run__county__code"
    agg = {f: Count("pk", filter=Q(finding=f)) for f in FINDING_ORDER}
    rows = qs.annotate(eligible=Count("pk", filter=Q(eligible=True)), due=Sum("due"), paid=Sum("paid"), **agg).order_by(key)
    return [{**r, "code": r[key], "problems": r["unpaid"] + r["not_eligible"] + r["twice"] + r["amount"]} for r in rows]


# ---------------------------------------------------------------- notices (公示)


def notice_rows(school_code: str, term: str) -> list[dict[str, Any]]:
    """The public list of a school: masked name, masked ID number, section and grade, programme — never the
    hardship category, tier or amount (which would reveal the category)."""
    rows = (AidLine.objects.filter(run__current=True, run__term=term, school_code=school_code, eligible=True,
                                   person__on_roster=True)
            .exclude(programme__in=[p.id for p in load_aid_rules().programmes if p.who == "all"])
            .select_related("person").order_by("person__grade", "person__name_mask", "programme"))
    return [{"name": ln.person.name_mask, "id": ln.person.id_mask, "section": ln.person.section, "grade": ln.person.grade,
             "programme": ln.programme} for ln in rows]


def create_notice(county: OrgUnit, school_code: str, term: str, starts: dt.date, ends: dt.date, actor: Actor) -> AidNotice:
    days = load_aid_rules().notice.min_days
    if ends < starts or (ends - starts).days + 1 < days:
        raise AidError(AidMessage.NOTICE_DATES, days=days)
    notice = AidNotice.objects.create(county=county, school_code=school_code, term=term, starts=starts, ends=ends,
                                      created_by=actor.username)
    record("create", "aid.notice", notice.pk, {"school": school_code, "term": term, "starts": starts.isoformat(),
                                               "ends": ends.isoformat()}, actor=actor, object_unit=county.code)
    return notice


# ---------------------------------------------------------------- key rotation


def rotate_keys(rehash: bool = False) -> int:
    """Re-encrypts every stored name and ID number with the newest key (and, with ``rehash``, recomputes the
    ID hashes with the current hash key). Returns the number of people rewritten."""
    crypto.reset_keys()
    n = 0
    with transaction.atomic():
        for p in AidPerson.objects.select_for_update().iterator(chunk_size=2000):
            p.id_enc, p.name_enc = crypto.rotate(p.id_enc), crypto.rotate(p.name_enc)
            fields = ["id_enc", "name_enc"]
            if rehash:
                idn = crypto.decrypt(p.id_enc)
                if idn:
                    p.id_hash = crypto.id_hash(idn)
                    fields.append("id_hash")
            p.save(update_fields=fields)
            n += 1
    record("update", "aid.keys", "rotate", {"people": n, "rehash": rehash})
    return n

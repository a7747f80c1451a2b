"""Student aid (学生资助) on Ibis tables: ID-number checks, keyed hashes, identification, eligibility, coverage.

No Django here. The same expressions run on DuckDB (default) and PySpark. The rules arrive as small tables
built by ``dudao.aid.rules`` from ``standards/data/aid.yaml``; nothing about a programme is written here.

Tables (columns; all text unless said):

* roster: row (int), name, id_number, id_hash, birth (date), county_code, school_code, school_name, section,
  grade (int), boarding (bool), nutrition (bool), public (bool), enrolled_on (date)
* lists: row (int), file, name, id_hash (may be null), birth (date), county_code, category,
  valid_from (date), valid_to (date)
* payments: row (int), school_code, id_hash, programme, amount (float)
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import ibis
import ibis.expr.datatypes as dtypes

# ISO 7064 MOD 11-2 weights of the first 17 digits and the check character for each remainder
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# rule codes of an ID number, in the order they are tried (a later rule is not reported when an earlier fails)
ID_RULES = ("format", "region", "date", "check")


# ---------------------------------------------------------------- ID numbers


def _digit(s: Any, i: int) -> Any:
    return s.substr(i, 1).try_cast("int64")


def _days_in_month(y: Any, m: Any) -> Any:
    leap = ((y % 4 == 0) & (y % 100 != 0)) | (y % 400 == 0)
    return (
        ibis.cases(
            (m == 2, ibis.ifelse(leap, 29, 28)),
            (m.isin([4, 6, 9, 11]), 30),
            else_=31,
        )
    )


def id_columns(s: Any, today: dt.date) -> dict[str, Any]:
    """Expressions over an ID-number string column: its well-formedness, birth date parts and check result."""
    fmt = (s.length().fill_null(0) == 18) & s.re_search(r"^[0-9]{17}[0-9X]$").fill_null(False)
    y, m, d = s.substr(6, 4).try_cast("int64"), s.substr(10, 2).try_cast("int64"), s.substr(12, 2).try_cast("int64")
    ymd = y * 10000 + m * 100 + d
    today_n = today.year * 10000 + today.month * 100 + today.day
    date_ok = fmt & (y >= 1900) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m)) & (ymd <= today_n)
    total = sum((_digit(s, i) * w for i, w in enumerate(ID_WEIGHTS)), ibis.literal(0))
    expected = ibis.literal(ID_CHECK).substr((total % 11).cast("int64"), 1)
    check_ok = s.substr(17, 1) == expected
    return {"format": fmt, "y": y, "m": m, "d": d, "date_ok": date_ok, "check_ok": check_ok}


def id_problems(t: Any, column: str, regions: Any, today: dt.date) -> Any:
    """Rows of ``t`` (which has ``row``) whose ``column`` is not a valid resident ID number: (row, value, rule).

    ``regions`` is a one-column table ``code`` of known 6-digit division codes. Blank values are not checked
    here (whether a value is required is the caller's rule).
    """
    s = t[column]
    cols = id_columns(s, today)
    known = regions.select(region_known=regions.code)
    base = t.select(row=t.row, value=s, fmt=cols["format"], date_ok=cols["date_ok"], check_ok=cols["check_ok"],
                    region=s.substr(0, 6))
    base = base.filter(base.value.notnull() & (base.value != ""))
    joined = base.left_join(known, base.region == known.region_known)
    rule = ibis.cases(
        (~joined.fmt, "format"),
        (joined.region_known.isnull(), "region"),
        (~joined.date_ok.fill_null(False), "date"),
        (~joined.check_ok.fill_null(False), "check"),
        else_=ibis.null(dtypes.string),
    )
    out = joined.select(row=joined.row, value=joined.value, rule=rule)
    return out.filter(out.rule.notnull())


def birth_date(s: Any) -> Any:
    """The birth date held in a (valid) ID number."""
    return ibis.date(s.substr(6, 4).cast("int32"), s.substr(10, 2).cast("int32"), s.substr(12, 2).cast("int32"))


# ---------------------------------------------------------------- other columns of an input file

DATE_RE = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"


def valid_date(s: Any) -> Any:
    """Whether a YYYY-MM-DD text is a real calendar date."""
    y, m, d = s.substr(0, 4).try_cast("int64"), s.substr(5, 2).try_cast("int64"), s.substr(8, 2).try_cast("int64")
    return s.re_search(DATE_RE).fill_null(False) & (y >= 1900) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= _days_in_month(y, m))


def field_problems(t: Any, specs: list[tuple[str, str, bool, tuple[str, ...]]]) -> Any:
    """Rows breaking a column rule: (row, column, rule, value). ``specs``: (column, kind, required, options) with
    kind one of text, enum, bool, int, number, date, region, school; options are the allowed texts of an enum/bool.
    Blank optional values are not checked."""
    parts = []
    for column, kind, required, options in specs:
        s = t[column]
        blank = s.isnull() | (s.strip() == "")
        if required:
            parts.append(t.filter(blank).select(row=t.row, column=ibis.literal(column), rule=ibis.literal("required"),
                                                value=ibis.literal("")))
        bad = None
        if kind in ("enum", "bool"):
            bad = ~s.strip().isin(list(options))
        elif kind == "int":
            bad = ~s.strip().re_search(r"^[0-9]{1,6}$").fill_null(False)
        elif kind == "number":
            bad = ~s.strip().re_search(r"^[0-9]+(\.[0-9]+)?$").fill_null(False)
        elif kind == "date":
            bad = ~valid_date(s.strip())
        elif kind == "region":
            bad = ~s.strip().re_search(r"^[1-9][0-9]{5}$").fill_null(False)
        elif kind == "school":
            bad = ~s.strip().re_search(r"^[0-9]{10}$").fill_null(False)
        if bad is not None:
            parts.append(t.filter(~blank & bad).select(row=t.row, column=ibis.literal(column),
                                                       rule=ibis.literal(kind), value=s))
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


# ---------------------------------------------------------------- keyed hash (HMAC-SHA256) in the backend


@ibis.udf.scalar.builtin(name="sha256")
def _duck_sha256(x: dtypes.binary) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="unhex")
def _unhex(x: str) -> dtypes.binary: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="concat")
def _bconcat(a: dtypes.binary, b: dtypes.binary) -> dtypes.binary: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="encode")
def _duck_encode(x: str) -> dtypes.binary: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="sha2")
def _spark_sha2(x: dtypes.binary, bits: int) -> str: ...  # type: ignore[empty-body]


@ibis.udf.scalar.builtin(name="encode")
def _spark_encode(x: str, charset: str) -> dtypes.binary: ...  # type: ignore[empty-body]


def _pads(key: bytes) -> tuple[str, str]:
    block = key if len(key) <= 64 else hashlib.sha256(key).digest()
    block = block.ljust(64, b"\0")
    return bytes(b ^ 0x36 for b in block).hex(), bytes(b ^ 0x5C for b in block).hex()


def keyed_hash(s: Any, key: bytes, backend: str = "duckdb") -> Any:
    """HMAC-SHA256 of a string column under ``key``, as 64 hex digits (equal to Python's ``hmac``)."""
    ipad, opad = _pads(key)
    if backend == "pyspark":
        inner = _spark_sha2(_bconcat(_unhex(ibis.literal(ipad)), _spark_encode(s, "UTF-8")), 256)
        return _spark_sha2(_bconcat(_unhex(ibis.literal(opad)), _unhex(inner)), 256)
    inner = _duck_sha256(_bconcat(_unhex(ibis.literal(ipad)), _duck_encode(s)))
    return _duck_sha256(_bconcat(_unhex(ibis.literal(opad)), _unhex(inner)))


# ---------------------------------------------------------------- identification


def current_roster(roster: Any, census: dt.date) -> Any:
    """One row per student (id_hash) for a term: the school the student was enrolled in last on or before the
    census date (a student who moved school counts at the new school); ``moved`` counts the other rows."""
    r = roster.filter(roster.enrolled_on.isnull() | (roster.enrolled_on <= census))
    w = ibis.window(group_by=r.id_hash, order_by=[ibis.desc(r.enrolled_on.fill_null(dt.date(1900, 1, 1))), r.school_code, r.row])
    ranked = r.mutate(_rank=ibis.row_number().over(w), _n=r.row.count().over(ibis.window(group_by=r.id_hash)))
    return ranked.filter(ranked._rank == 0).mutate(moved=ranked._n - 1).drop("_rank", "_n")


def valid_lists(lists: Any, on: dt.date) -> Any:
    """List rows in force on a date."""
    return lists.filter((lists.valid_from.isnull() | (lists.valid_from <= on)) & (lists.valid_to.isnull() | (lists.valid_to >= on)))


def identify(roster: Any, lists: Any, on: dt.date) -> tuple[Any, Any]:
    """Exact matches on the ID hash (id_hash, category, file, list_row) and proposed matches by the fallback:
    a list row without an exact match whose name and birth date equal a roster student's in the same county
    (id_hash of the student, list row, category, ...). Proposals are never applied here."""
    cur, lst = current_roster(roster, on), valid_lists(lists, on)
    ids = cur.select(r_hash=cur.id_hash)
    exact_j = lst.inner_join(ids, lst.id_hash == ids.r_hash)
    exact = exact_j.select(id_hash=exact_j.r_hash, category=exact_j.category, file=exact_j.file, list_row=exact_j.row).distinct()
    unmatched = lst.anti_join(ids, lst.id_hash == ids.r_hash)
    stu = cur.select(s_hash=cur.id_hash, s_name=cur.name, s_birth=cur.birth, s_county=cur.county_code,
                     s_school=cur.school_code)
    pj = unmatched.inner_join(stu, [unmatched.name == stu.s_name, unmatched.birth == stu.s_birth,
                                    unmatched.county_code == stu.s_county])
    proposals = pj.select(id_hash=pj.s_hash, school_code=pj.s_school, category=pj.category, file=pj.file, list_row=pj.row,
                          list_hash=pj.id_hash, list_id=pj.id_number, name=pj.name, county_code=pj.county_code)
    return exact, proposals


# ---------------------------------------------------------------- eligibility and amounts


def eligibility(roster: Any, matched: Any, rules: dict[str, Any], term_start: dt.date, term_days: int) -> Any:
    """Every (student, programme) due in the term with the amount due.

    ``matched``: (id_hash, category) — exact matches plus confirmed proposals.
    ``rules``: Ibis tables built from the standards — ``cats`` (programme, category, tier), ``conds``
    (programme, who, section, boarding [bool or null], grade [int or null], school_flag, per, locally [bool],
    since [date or null]) and ``amounts`` (programme, region, section, tier [int or null], valid_from, valid_to,
    amount). Output: id_hash, programme, school_code, county_code, section, tier, categories (comma list),
    amount (per year or per day), due (for the term; null where the amount is set locally).
    """
    cur = current_roster(roster, term_start)
    conds = rules["conds"].filter(rules["conds"].since.isnull() | (rules["conds"].since <= term_start))
    cj = cur.inner_join(conds, cur.section == conds.section)
    cj = cj.filter((cj.boarding_right.isnull() | (cj.boarding_right == cj.boarding.fill_null(False)))
                   & (cj.grade_right.isnull() | (cj.grade_right == cj.grade))
                   & ((cj.school_flag == "") | ((cj.school_flag == "nutrition") & cj.nutrition.fill_null(False))
                      | ((cj.school_flag == "public") & cj.public.fill_null(False))))
    base = cj.select(id_hash=cj.id_hash, programme=cj.programme, who=cj.who, school_code=cj.school_code,
                     county_code=cj.county_code, section=cj.section, per=cj.per, locally=cj.locally)
    # needy programmes: the student's categories that the programme takes, the best (lowest) tier
    cats = rules["cats"]
    m = matched.select("id_hash", "category").distinct()
    needy = base.filter(base.who == "needy")
    nj = needy.inner_join(m, needy.id_hash == m.id_hash).inner_join(
        cats, [needy.programme == cats.programme, m.category == cats.category])
    needy_due = nj.group_by(["id_hash", "programme", "school_code", "county_code", "section", "per", "locally"]).aggregate(
        tier=nj.tier.min(), categories=nj.category.collect().sort().join(","))
    everyone = base.filter(base.who == "all").select(
        "id_hash", "programme", "school_code", "county_code", "section", "per", "locally",
        tier=ibis.null(dtypes.int64), categories=ibis.literal(""))
    due = needy_due.union(everyone)
    # the amount in force at the term start, for the longest region prefix of the student's county
    am = rules["amounts"]
    am = am.filter(am.valid_from <= term_start, am.valid_to.isnull() | (am.valid_to >= term_start))
    aj = due.left_join(am, [due.programme == am.programme, due.section == am.section,
                            am.tier.isnull() | (am.tier == due.tier), due.county_code.startswith(am.region)])
    w = ibis.window(group_by=[aj.id_hash, aj.programme], order_by=ibis.desc(aj.region.length().fill_null(-1)))
    ranked = aj.mutate(_r=ibis.row_number().over(w))
    best = ranked.filter(ranked._r == 0)
    share = ibis.ifelse(best.per == "day", float(term_days), 0.5)
    out = best.select(id_hash=best.id_hash, programme=best.programme, school_code=best.school_code,
                      county_code=best.county_code, section=best.section, tier=best.tier, categories=best.categories,
                      amount=ibis.ifelse(best.locally, ibis.null(dtypes.float64), best.amount.cast("float64")),
                      due=ibis.ifelse(best.locally, ibis.null(dtypes.float64), best.amount.cast("float64") * share))
    return out


# ---------------------------------------------------------------- coverage (应助尽助)

FINDINGS = ("ok", "unpaid", "not_eligible", "twice", "amount")


def coverage(due: Any, payments: Any, groups: Any) -> Any:
    """Every (student, programme) that is due or paid, with its finding.

    ``groups``: (programme, grp) — programmes of one group are paid at most once a term. Findings, in order:
    twice (paid more than once in the programme, or also paid in another programme of its group, at any
    school), not_eligible (paid, not due), unpaid (due, not paid), amount (paid once, a different amount from
    the amount due), ok.
    """
    p = payments.group_by(["id_hash", "programme"]).aggregate(
        paid=payments.amount.sum(), payments=payments.row.count(), paid_schools=payments.school_code.nunique(),
        paid_school=payments.school_code.min())
    pg = p.inner_join(groups, p.programme == groups.programme)
    per_group = pg.group_by([pg.id_hash, pg.grp]).aggregate(group_programmes=pg.programme.nunique())
    d = due.select(d_hash=due.id_hash, d_prog=due.programme, school_code=due.school_code, county_code=due.county_code,
                   section=due.section, tier=due.tier, categories=due.categories, due=due.due,
                   eligible=ibis.literal(True))
    j = d.outer_join(p, [d.d_hash == p.id_hash, d.d_prog == p.programme])
    j = j.select(id_hash=j.d_hash.fill_null(j.id_hash), programme=j.d_prog.fill_null(j.programme),
                 school_code=j.school_code, county_code=j.county_code, section=j.section, tier=j.tier,
                 categories=j.categories.fill_null(""), due=j.due, eligible=j.eligible.fill_null(False),
                 paid=j.paid.fill_null(0.0), payments=j.payments.fill_null(0), paid_schools=j.paid_schools.fill_null(0),
                 paid_school=j.paid_school).view()
    g2 = groups.view()
    jg = j.inner_join(g2, "programme")
    jg = jg.left_join(per_group, ["id_hash", "grp"])
    twice = (jg.payments > 1) | (jg.group_programmes.fill_null(0) > 1)
    finding = ibis.cases(
        (twice, "twice"),
        ((~jg.eligible) & (jg.payments > 0), "not_eligible"),
        (jg.eligible & (jg.payments == 0), "unpaid"),
        (jg.eligible & jg.due.notnull() & ((jg.paid - jg.due).abs() > 0.005), "amount"),
        else_="ok",
    )
    return jg.select(id_hash=jg.id_hash, programme=jg.programme, grp=jg.grp, school_code=jg.school_code.fill_null(jg.paid_school),
                     county_code=jg.county_code, section=jg.section, tier=jg.tier, categories=jg.categories,
                     eligible=jg.eligible, due=jg.due, paid=jg.paid, payments=jg.payments, paid_schools=jg.paid_schools,
                     finding=finding)


def totals(lines: Any) -> Any:
    """Per programme: students due, amount due, students paid, amount paid, and the count of each finding."""
    agg: dict[str, Any] = {
        "eligible": lines.eligible.cast("int64").sum(),
        "due": lines.due.sum(),
        "paid_students": (lines.payments > 0).cast("int64").sum(),
        "paid": lines.paid.sum(),
    }
    for f in FINDINGS:
        agg[f] = (lines.finding == f).cast("int64").sum()
    return lines.group_by("programme").aggregate(**agg).order_by("programme")


def by_unit(lines: Any, unit: str) -> Any:
    """The same counts per school (``school_code``) or county (``county_code``) and programme."""
    agg: dict[str, Any] = {"eligible": lines.eligible.cast("int64").sum(), "due": lines.due.sum(),
                           "paid": lines.paid.sum()}
    for f in FINDINGS:
        agg[f] = (lines.finding == f).cast("int64").sum()
    return lines.group_by([unit, "programme"]).aggregate(**agg).order_by([unit, "programme"])


"""The access matrix: every page and API route × every role at every org level × targets inside and
outside the user's subtree (region codes, school codes, run ids and county codes guessed in URLs,
uploaded workbooks, assessment scopes).

The routes are read from the URL resolver (the ninja API's included), so a new route that is not in
``TABLE`` fails ``test_every_route_is_in_the_matrix``. Expectations come from an oracle written out
here (``USERS``, ``CAN``): it does not call ``dudao.accounts.permissions``. Each case checks

* the status (and the redirect target) — anonymous: the login page for pages, a JSON 401 for the API;
* that a refusal which goes through ``permissions.check`` recorded a ``denied`` audit event;
* that the body holds no school code, school name, county code or county name outside the user's
  subtree (``markers``) other than what the request itself named (``echo``);
* for granted actions, the effect (data stored, runs frozen, downloads non-empty and scoped), and for
  refused ones, that nothing was stored.

Real access-control bugs found would be kept as strict xfails in ``KNOWN_BUGS`` with their reasons; the
five found when the matrix was written are fixed (listed above ``KNOWN_BUGS``).

The data is built once for the module inside a transaction that is rolled back at the end; each test
runs in a savepoint of it (pytest-django's ``db``).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, resolve

from dudao.accounts.models import ApiToken
from dudao.accounts.permissions import CAPABILITIES
from dudao.accounts.services import create_user
from dudao.assessment.models import AssessmentRun
from dudao.assessment.services import run_assessment
from dudao.audit.models import AuditEvent
from dudao.audit.services import actor_of, record
from dudao.orgunits.services import load_divisions
from dudao.schools.models import ImportBatch, SchoolYear
from dudao.schools.services import import_file
from dudao.schools.workbook import write_xlsx
from dudao.standards.model import load_dictionary
from dudao.supervision.models import Case
from dudao.supervision.services import open_round
from dudao.web import maps
from tests.aid import matrix as aid_rows
from tests.factories import COUNTY_A, COUNTY_B, dataset, school, section
from tests.inspection import matrix as inspection_rows
from tests.places import matrix as places_rows
from tests.planning import matrix as planning_rows
from tests.quality.conftest import matrix_run
from tests.supervision import matrix as supervision_rows
from tests.teachers import matrix as teacher_rows

pytestmark = pytest.mark.django_db

PASSWORD = "Secret-pass-123"
YEAR = 2024
HEBEI_COUNTY = "130102"  # 石家庄市长安区
CLERK_SCHOOL = "2121000001"  # county A
OTHER_A = "3121000007"  # county A, a nine-year school
SCHOOL_B = "3421000008"  # county B
HEBEI_SCHOOL = "2113000010"  # county 130102
MOVED = "3121000006"  # county B in 2023, county A in 2024
UNKNOWN_SCHOOL = "2121009999"
BOOKS, UPLOADED_BOOKS, EDITED_BOOKS = 12000, 11111, 11112
HEBEI_SECRET = "hebei-only-audit-detail"


def school_name(code: str) -> str:
    return f"测试学校{code[-4:]}"


# ---------------------------------------------------------------- the oracle: who may do what, where


@dataclass(frozen=True)
class Who:
    key: str
    role: str = ""
    unit: str = ""
    school: str = ""
    prefix: str | None = None  # region-code prefix of the subtree; None: no region at all

    @property
    def username(self) -> str:
        return f"mx_{self.key}"

    @property
    def anonymous(self) -> bool:
        return not self.role

    def can(self, action: str) -> bool:
        return action in CAN.get(self.role, set())

    def region(self, code: str) -> bool:
        """The region code is in the user's subtree (a school clerk has no region)."""
        return self.prefix is not None and code.startswith(self.prefix)

    def school_in(self, code: str, county: str) -> bool:
        """The school, registered under ``county``, is in the user's subtree."""
        if self.school:
            return code == self.school
        return self.region(county)


USERS: dict[str, Who] = {w.key: w for w in (
    Who("anon"),
    Who("p_admin", "province_admin", "210000", prefix="21"),
    Who("p_insp", "province_inspector", "210000", prefix="21"),
    Who("pref_a", "prefecture_inspector", "210500", prefix="2105"),
    Who("county_a", "county_bureau", COUNTY_A, prefix=COUNTY_A),
    Who("expert_a", "expert_inspector", COUNTY_A, prefix=COUNTY_A),
    Who("clerk_a", "school_clerk", COUNTY_A, school=CLERK_SCHOOL),
    Who("county_b", "county_bureau", COUNTY_B, prefix=COUNTY_B),  # the other side
    Who("pref_b", "prefecture_inspector", "211300", prefix="2113"),
    Who("hebei", "county_bureau", HEBEI_COUNTY, prefix=HEBEI_COUNTY),  # another province
)}

# the intended capabilities, written out (``test_capabilities_are_the_matrix``): a change must be made here too
CAN: dict[str, set[str]] = {
    "province_admin": {"view", "change_data", "import", "assess", "export", "audit", "facts"},
    "province_inspector": {"view", "assess", "export"},
    "prefecture_inspector": {"view", "assess", "export"},
    "county_bureau": {"view", "change_data", "import", "assess", "export", "facts"},
    "school_clerk": {"view", "change_data", "import"},
    "expert_inspector": {"view", "export"},
}
CAN["province_admin"].add("terms")  # targets and schedule: keeps terms of office, sees the holders' names
CAN["county_bureau"].add("terms")
CAN["county_bureau"].add("personal_data")  # student aid: unmasked names and ID numbers, audited
CAN["school_clerk"].add("personal_data")

# the data: school → {year: county}
SCHOOL_YEARS: dict[str, dict[int, str]] = {
    **{s["school_code"]: {YEAR: s["county_code"]} for s in dataset()[0]},
    HEBEI_SCHOOL: {YEAR: HEBEI_COUNTY},
}
SCHOOL_YEARS[MOVED] = {2023: COUNTY_B, YEAR: COUNTY_A}
COUNTY_NAMES = {COUNTY_A: "本溪满族自治县", COUNTY_B: "朝阳县", HEBEI_COUNTY: "长安区"}
REGIONS = ("210000", "210500", COUNTY_A, "211300", COUNTY_B, "130000", HEBEI_COUNTY, "219999")
KNOWN_REGIONS = set(REGIONS) - {"219999"}
COUNTY_LEVEL = {COUNTY_A, COUNTY_B, HEBEI_COUNTY}


def latest_county(code: str) -> str:
    years = SCHOOL_YEARS[code]
    return years[max(years)]


def visible_years(who: Who, code: str) -> list[int]:
    return sorted(y for y, county in SCHOOL_YEARS.get(code, {}).items() if who.school_in(code, county))


def markers(who: Who) -> set[str]:
    """Strings that must not appear in any answer to this user: data outside its subtree."""
    out: set[str] = set()
    for code, years in SCHOOL_YEARS.items():
        if not any(who.school_in(code, county) for county in years.values()):
            out |= {code, school_name(code)}
    own_county = SCHOOL_YEARS[who.school][YEAR] if who.school else ""
    for county, name in COUNTY_NAMES.items():
        if not who.region(county) and county != own_county:
            out |= {county, name}
    return out


def leaks(text: str, who: Who, echo: set[str]) -> list[str]:
    found = []
    for m in sorted(markers(who) - echo):
        pattern = rf"(?<![0-9]){re.escape(m)}(?![0-9])" if m.isdigit() else re.escape(m)
        if re.search(pattern, text):
            found.append(m)
    return found


# ---------------------------------------------------------------- expectations


@dataclass(frozen=True)
class Expect:
    statuses: tuple[int, ...]
    audit_on: tuple[int, ...] = ()  # a "denied" event by the user must be recorded for these statuses
    location: str | None = None  # the redirect target (the login page: its prefix)
    granted: bool | None = None  # whether the action takes effect (None: the status decides)

    @property
    def grants(self) -> bool:
        return self.granted if self.granted is not None else all(s < 400 for s in self.statuses)


OK, CREATED = Expect((200,)), Expect((201,))
LOGIN = Expect((302,), location="/login/?next=", granted=False)
UNAUTHORIZED = Expect((401,))
DENIED = Expect((403,), audit_on=(403,))  # through permissions.check
REFUSED = Expect((403,))  # refused without permissions.check (nothing to audit)
OUTSIDE = Expect((403, 404), audit_on=(403,))  # pages: either; a 403 comes from permissions.check
HIDDEN = Expect((404,), audit_on=(404,))  # API: an object outside the area answers like a missing one
MISSING = Expect((404,))


def redirect(to: str) -> Expect:
    return Expect((302,), location=to)


# ---------------------------------------------------------------- the world, built once for the module


@dataclass
class Req:
    method: str
    path: str
    data: Any = None
    content_type: str | None = None
    upload: Path | None = None  # a file posted as "file"
    echo: set[str] = field(default_factory=set)


@dataclass
class World:
    tmp: Path
    users: dict[str, Any]
    tokens: dict[str, str]
    runs: dict[str, int]
    files: dict[str, Path]
    edit_forms: dict[str, dict[str, str]]
    last_run: int  # runs frozen by a test have larger ids
    rounds: dict[str, int] = field(default_factory=dict)  # supervision rounds and cases by target
    inspection: dict[str, Any] = field(default_factory=dict)  # evaluations, evidence, frameworks (tests/inspection/matrix.py)
    teachers: dict[str, int] = field(default_factory=dict)  # rotation plans (tests/teachers/matrix.py)
    aid: dict[str, int] = field(default_factory=dict)  # student aid proposals (tests/aid/matrix.py)


# uploads: target → [(school, county in the file)]
UPLOADS: dict[str, list[tuple[str, str]]] = {
    "A1": [(CLERK_SCHOOL, COUNTY_A)],
    "A7": [(OTHER_A, COUNTY_A)],
    "B8": [(SCHOOL_B, COUNTY_B)],
    "A1+B8": [(CLERK_SCHOOL, COUNTY_A), (SCHOOL_B, COUNTY_B)],
    "HB": [(HEBEI_SCHOOL, HEBEI_COUNTY)],
    "A1-to-B": [(CLERK_SCHOOL, COUNTY_B)],  # moves the clerk's school into county B
    "B8-as-A": [(SCHOOL_B, COUNTY_A)],  # claims county B's school for county A (probing its county)
}


def _records(pairs: list[tuple[str, str]], books: int = BOOKS) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    schools, sections = dataset()
    schools.append(school(HEBEI_SCHOOL, HEBEI_COUNTY))
    sections.append(section(HEBEI_SCHOOL, students=300))
    wanted = dict(pairs)
    out_schools = [{**s, "county_code": wanted[s["school_code"]], "books": books}
                   for s in schools if s["school_code"] in wanted]
    return out_schools, [s for s in sections if s["school_code"] in wanted]


def _form_data(client: Client, url: str) -> dict[str, str]:
    body = client.get(url).content.decode()
    data = dict(re.findall(r'<input type="text" name="([^"]+)" id="[^"]+" value="([^"]*)"', body))
    found = re.search(r'name="fingerprint" value="([^"]+)"', body)
    assert found and "school__books" in data, url
    data["fingerprint"] = found.group(1)
    data["school__books"] = str(EDITED_BOOKS)
    return data


def _build(tmp: Path) -> World:
    d = load_dictionary()
    load_divisions("21")
    load_divisions("13")
    everything = [(code, years[YEAR]) for code, years in SCHOOL_YEARS.items()]
    assert import_file(write_xlsx(tmp / "seed.xlsx", d, YEAR, *_records(everything)), YEAR, "setup").accepted
    assert import_file(write_xlsx(tmp / "seed23.xlsx", d, 2023, *_records([(MOVED, COUNTY_B)])), 2023, "setup").accepted
    runs = {"ALL": run_assessment("youzhi2017", YEAR).run.pk,  # every county with data: A, B and Hebei's
            "B": run_assessment("youzhi2017", YEAR, COUNTY_B).run.pk}
    last_run = max(runs.values())
    runs["GUESS"] = last_run + 1000  # a run id nobody has
    users, tokens = {}, {}
    for who in USERS.values():
        if who.anonymous:
            continue
        users[who.key] = create_user(who.username, who.role, PASSWORD, who.unit, who.school)
        tokens[who.key] = ApiToken.issue(users[who.key], "matrix")[1]
    # an event of the Hebei user (a Liaoning administrator must not see it) and one of county A's
    record("denied", "permission", "130000", {"note": HEBEI_SECRET}, actor=actor_of(users["hebei"]))
    record("export", "schools.template", "xlsx", {"note": "county-a-event"}, actor=actor_of(users["county_a"]))
    files = {name: write_xlsx(tmp / f"upload-{name}.xlsx", d, YEAR, *_records(pairs, UPLOADED_BOOKS))
             for name, pairs in UPLOADS.items()}
    edit_forms = {}
    for target in EDIT_TARGETS:
        code, year = target.split("/")
        owner = Client()
        owner.force_login(users["hebei" if code == HEBEI_SCHOOL else "p_admin"])
        edit_forms[target] = _form_data(owner, f"/data/school/{code}/{year}/")
    due = (dt.date(YEAR + 1, 3, 1), dt.date(YEAR + 1, 4, 1), dt.date(YEAR + 1, 6, 1))
    ln = open_round("210000", "辽宁测试轮次", "youzhi2017", YEAR, due, [COUNTY_A, COUNTY_B], "setup")
    hb = open_round("130000", "河北测试轮次", "youzhi2017", YEAR, due, [HEBEI_COUNTY], "setup")
    rounds = {"LN": ln.pk, "HB": hb.pk, "GUESS": hb.pk + 1000}
    for key, county in (("A", COUNTY_A), ("B", COUNTY_B), ("HBC", HEBEI_COUNTY)):
        rounds[key] = Case.objects.get(county__code=county, round__in=[ln, hb]).pk
    rounds["CGUESS"] = max(rounds[k] for k in ("A", "B", "HBC")) + 1000
    rounds.update(supervision_rows.build(users, rounds, tmp))  # evidence FA…, tasks TA…, announcements NLN…
    matrix_run({c: y[YEAR] for c, y in SCHOOL_YEARS.items()}, {c: school_name(c) for c in SCHOOL_YEARS})  # value-added
    world = World(tmp, users, tokens, runs, files, edit_forms, last_run, rounds)
    world.inspection = inspection_rows.build(users, rounds, tmp)
    planning_rows.build()  # terms of office with names that only the terms page may show
    places_rows.build(tmp)  # births, enrolment by grade, classrooms and sites of every school; upload files
    world.teachers = teacher_rows.build()  # teachers in county B and Hebei, stored plans
    world.aid = aid_rows.build(tmp)  # stored aid checks of counties A and B, pending proposals
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("matrix")
    patch = pytest.MonkeyPatch()
    patch.setattr(maps, "cache_dir", lambda: tmp / "maps")
    hashers = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    with django_db_blocker.unblock(), hashers:
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield _build(tmp)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
    patch.undo()


# ---------------------------------------------------------------- checks of granted answers


def _text(response: Any) -> str:
    if response.get("Content-Type", "").startswith("application/vnd.openxmlformats"):
        with zipfile.ZipFile(io.BytesIO(response.content)) as z:
            return "\n".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def _school_codes_in(text: str) -> set[str]:
    return {c for c in SCHOOL_YEARS if re.search(rf"(?<![0-9]){c}(?![0-9])", text)}


def _stored(code: str, year: int = YEAR) -> tuple[str, Any]:
    sy = SchoolYear.objects.select_related("county").get(school__code=code, year=year)
    return sy.county.code, sy.values.get("books")


def verify_upload(target: str, granted: bool) -> None:
    for code, county in UPLOADS[target]:
        if granted:
            assert _stored(code) == (county, UPLOADED_BOOKS), (code, "not stored")
        else:
            assert _stored(code) == (SCHOOL_YEARS[code][YEAR], BOOKS), (code, "stored although refused")


def check_web_upload(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.statuses == (200,):
        body = r.content.decode()
        outcome = "accepted" if exp.grants else "refused"
        assert f'data-outcome="{outcome}"' in body, f"expected the upload to be {outcome}"
        if not exp.grants:
            assert "E_SCOPE" in body and ImportBatch.objects.filter(status="refused", actor=who.username).exists()
    verify_upload(target, exp.grants)


def check_api_upload(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        assert r.json()["accepted"] is True
    elif r.status_code == 403 and who.can("import"):
        assert r.json()["code"] == "E_IMPORT_SCOPE"
    verify_upload(target, exp.grants)


def check_edit(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    code, year = target.split("/")
    assert _stored(code, int(year))[1] == (EDITED_BOOKS if exp.grants else BOOKS)


def check_template(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if not exp.grants:
        return
    assert r.content, "empty download"
    if "data" in target:
        expected = {code for code, years in SCHOOL_YEARS.items() if who.school_in(code, years.get(YEAR, "-"))}
        assert _school_codes_in(_text(r)) == expected


def check_report(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if not exp.grants:
        return
    _run, county, fmt = target.split("/")
    assert len(r.content) > 1000, "empty report"
    assert r.content.startswith(b"%PDF" if fmt == "pdf" else b"PK")
    assert r["Content-Disposition"].startswith("attachment;")
    if fmt == "xlsx":
        assert COUNTY_NAMES[county] in _text(r)


def check_assess(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    made = AssessmentRun.objects.filter(pk__gt=world.last_run, scope=target).exists()
    assert made == exp.grants, "a run was frozen although refused" if made else "no run frozen"


def check_region_map(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        ids = [f["id"] for f in json.loads(r.content)["features"]]
        assert ids and all(who.region(i) for i in ids)


def _query(target: str) -> tuple[str, str]:
    key, _, value = target.lstrip("?").partition("=")
    return key, value


def check_orgunits(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        codes = [u["code"] for u in r.json()]
        assert all(who.region(c) for c in codes)
        key, parent = _query(target)
        if key == "parent":
            assert all(c.startswith(parent[:4]) and c != parent for c in codes)
        else:
            assert (COUNTY_A in codes) == who.region(COUNTY_A)
        assert (COUNTY_B in codes) == who.region(COUNTY_B)


def check_orgunit(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        body = r.json()
        assert body["code"] == target and all(who.region(c["code"]) for c in body["children"])


def check_school_list(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        key, value = _query(target)
        got = {(i["code"], i["year"]) for i in r.json()["items"]}
        assert all(who.school_in(i["code"], i["county"]) for i in r.json()["items"])
        assert got == {(c, y) for c, years in SCHOOL_YEARS.items() for y in visible_years(who, c)
                       if key not in ("county", "year") or value == (years[y] if key == "county" else str(y))}


def check_school(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        body = r.json()
        assert [y["year"] for y in body["years"]] == visible_years(who, target)
        assert all(who.school_in(target, y["county"]) for y in body["years"])


def check_statistics(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        body = r.json()
        assert body["year"] == max(visible_years(who, target)) and who.school_in(target, body["county"])


RUN_COUNTIES = {"ALL": (HEBEI_COUNTY, COUNTY_A, COUNTY_B), "B": (COUNTY_B,), "GUESS": ()}  # ALL: every county


def check_run_list(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        key, county = _query(target)
        items = {i["id"]: [c["code"] for c in i["counties"]] for i in r.json()["items"]}
        expected = {world.runs[k]: [c for c in v if who.region(c)] for k, v in RUN_COUNTIES.items()}
        assert items == {k: v for k, v in expected.items() if v and (key != "county" or county in v)}


def check_run(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        doc = r.json()
        assert [c["code"] for c in doc["counties"]] == [c for c in RUN_COUNTIES[target] if who.region(c)]


def check_api_assess(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    made = AssessmentRun.objects.filter(pk__gt=world.last_run).exists()
    assert made == exp.grants
    if exp.grants:
        assert all(who.region(c["code"]) for c in r.json()["counties"])


def check_audit(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        shown = [row["e"] for row in r.context["events"]]
        assert all(e.org_unit.startswith(who.prefix or "-") or e.org_unit == "" for e in shown)
        assert HEBEI_SECRET not in r.content.decode()
        assert ("county-a-event" in r.content.decode()) == (target == "-")


# ---------------------------------------------------------------- the table: every route, its targets, its rule


@dataclass(frozen=True)
class Spec:
    route: str
    targets: tuple[str, ...]
    request: Callable[[World, str], Req]
    expect: Callable[[Who, str, World], Expect]
    api: bool = False  # sends the user's bearer token instead of a session
    check: Callable[[Any, Who, str, World, Expect], None] | None = None


def get(path: str) -> Callable[[World, str], Req]:
    """A GET of the path with the target in it (the target "-" stands for nothing)."""
    return lambda world, target: Req("GET", path.format(target="" if target == "-" else target))


def page(rule: Callable[[Who, str], Expect]) -> Callable[[Who, str, World], Expect]:
    """A page behind the login."""
    return lambda who, target, world: LOGIN if who.anonymous else rule(who, target)


def api(rule: Callable[[Who, str], Expect]) -> Callable[[Who, str, World], Expect]:
    """An API operation behind a token."""
    return lambda who, target, world: UNAUTHORIZED if who.anonymous else rule(who, target)


def public(who: Who, target: str, world: World) -> Expect:
    return OK


def needs(action: str, then: Callable[[Who, str], Expect] = lambda who, target: OK) -> Callable[[Who, str], Expect]:
    return lambda who, target: then(who, target) if who.can(action) else DENIED


def _region(who: Who, code: str) -> Expect:
    if not who.region(code):
        return OUTSIDE
    return OK if code in KNOWN_REGIONS else MISSING


def _region_map(who: Who, code: str) -> Expect:
    if not who.region(code):
        return OUTSIDE
    return OK if code in KNOWN_REGIONS and code not in COUNTY_LEVEL else MISSING


def _school_page(who: Who, code: str) -> Expect:
    if code not in SCHOOL_YEARS:
        return OUTSIDE if who.school else MISSING
    return OK if who.school_in(code, latest_county(code)) else OUTSIDE


EDIT_TARGETS = (f"{CLERK_SCHOOL}/{YEAR}", f"{OTHER_A}/{YEAR}", f"{SCHOOL_B}/{YEAR}", f"{HEBEI_SCHOOL}/{YEAR}",
                f"{MOVED}/2023")


def _edit(who: Who, target: str) -> Expect:
    code, year = target.split("/")
    county = SCHOOL_YEARS[code].get(int(year))
    if county is None:
        return MISSING  # the school year does not exist: 404 before any check
    return OK if who.can("change_data") and who.school_in(code, county) else OUTSIDE


def _edit_post(who: Who, target: str) -> Expect:
    exp = _edit(who, target)
    return redirect(f"/data/school/{target}/") if exp is OK else exp


def _upload_allowed(who: Who, target: str) -> bool:
    for code, county in UPLOADS[target]:
        stored = SCHOOL_YEARS[code][YEAR]
        if not (who.school_in(code, county) and who.school_in(code, stored)):
            return False
        if stored != county and not (who.region(stored) and who.region(county)):
            return False  # moving a school between counties needs both counties
    return True


def _web_upload(who: Who, target: str) -> Expect:
    if not who.can("import"):
        return DENIED
    return Expect((200,), granted=_upload_allowed(who, target))  # a refusal is shown on the page (E_SCOPE)


def _api_upload(who: Who, target: str) -> Expect:
    if not who.can("import"):
        return DENIED
    return OK if _upload_allowed(who, target) else DENIED


def _upload_request(api_call: bool) -> Callable[[World, str], Req]:
    def make(world: World, target: str) -> Req:
        echo = {c for code, county in UPLOADS[target] for c in (code, school_name(code), county, COUNTY_NAMES[county])}
        if api_call:
            return Req("POST", f"/api/imports?year={YEAR}", upload=world.files[target], echo=echo)
        return Req("POST", "/data/upload/", data={"year": str(YEAR)}, upload=world.files[target], echo=echo)

    return make


def _template(who: Who, target: str) -> Expect:
    if target == "doc":
        return MISSING  # unknown format: 404 before any check
    if not who.can("import"):
        return DENIED
    if "data" in target and who.school:
        return REFUSED  # a school clerk may not export its county's data (PermissionDenied, not through check)
    return OK


def _template_request(world: World, target: str) -> Req:
    fmt, _, data = target.partition("+")
    return Req("GET", f"/data/template.{fmt}" + ("?data=1" if data else ""))


def _assess_post(who: Who, scope: str) -> Expect:
    if not who.can("assess"):
        return DENIED
    return redirect(f"/region/{scope}/") if who.region(scope) else DENIED


def _assess_request(world: World, scope: str) -> Req:
    return Req("POST", "/assess/", data={"standard": "youzhi2017", "year": str(YEAR), "scope": scope})


REPORT_TARGETS = ("ALL/210521/xlsx", "ALL/211321/xlsx", "B/211321/xlsx", "B/210521/xlsx", "ALL/210521/pdf",
                  "GUESS/210521/xlsx", f"ALL/{HEBEI_COUNTY}/xlsx")


def _report(who: Who, target: str) -> Expect:
    run, county, _fmt = target.split("/")
    if run == "GUESS":
        return MISSING  # no such run: 404 before any check
    if not (who.can("export") and who.region(county)):
        return DENIED
    return OK if county in RUN_COUNTIES[run] else MISSING  # in scope, but not in the run


def _report_request(world: World, target: str) -> Req:
    run, county, fmt = target.split("/")
    return Req("GET", f"/reports/{world.runs[run]}/{county}.{fmt}")


def _home(who: Who, target: str) -> Expect:
    return redirect(f"/school/{who.school}/") if who.school else redirect(f"/region/{who.unit}/")


def _api_region(who: Who, code: str) -> Expect:
    if code not in KNOWN_REGIONS:
        return MISSING
    return OK if who.region(code) else HIDDEN


def _api_school(who: Who, code: str) -> Expect:
    if code not in SCHOOL_YEARS:
        return MISSING
    return OK if visible_years(who, code) else HIDDEN


def _api_run(who: Who, target: str) -> Expect:
    if target == "GUESS":
        return MISSING
    return OK if any(who.region(c) for c in RUN_COUNTIES[target]) else HIDDEN


def _api_assess(who: Who, scope: str) -> Expect:
    if not who.can("assess"):
        return DENIED
    if scope == "all":
        return REFUSED  # only a user of the whole country may name "all" (refused before any check)
    return CREATED if who.region(scope) else DENIED


def _api_assess_request(world: World, scope: str) -> Req:
    return Req("POST", "/api/assessments", data=json.dumps({"standard": "youzhi2017", "year": YEAR, "scope": scope}),
               content_type="application/json")


def _run_request(world: World, target: str) -> Req:
    return Req("GET", f"/api/assessments/{world.runs[target]}")


def _standard_request(world: World, target: str) -> Req:
    sid, _, query = target.partition("?")
    return Req("GET", f"/standards/{sid}/" + (f"?{query}" if query else ""))


ROUND_PROVINCE = {"LN": "210000", "HB": "130000"}
CASE_COUNTY = {"A": COUNTY_A, "B": COUNTY_B, "HBC": HEBEI_COUNTY}


def _rounds(who: Who, target: str) -> Expect:
    return DENIED if who.school else OK  # a school clerk has no region to supervise


def _round_page(who: Who, target: str) -> Expect:
    if target == "GUESS":
        return MISSING
    in_province = who.prefix is not None and not who.school and ROUND_PROVINCE[target].startswith(who.prefix[:2])
    return OK if in_province else DENIED


def _case_page(who: Who, target: str) -> Expect:
    if target == "CGUESS":
        return MISSING
    return OK if who.can("view") and who.region(CASE_COUNTY[target]) else DENIED


def _open_round(who: Who, target: str) -> Expect:
    return Expect((302,)) if who.role == "province_admin" else DENIED


def _open_round_request(world: World, target: str) -> Req:
    return Req("POST", "/supervision/", data={"title": "新开轮次", "standard": "youzhi2017", "year": str(YEAR),
                                              "due_self": "2025-03-01", "due_prefecture": "2025-04-01",
                                              "due_province": "2025-06-01", "all_counties": "1"})


def _va_county(who: Who, code: str) -> Expect:
    """Value-added county pages: a county inside the subtree (other codes inside it are not counties: 404)."""
    if not who.region(code):
        return OUTSIDE
    return OK if code in COUNTY_LEVEL else MISSING


def _va_county_pdf(who: Who, code: str) -> Expect:
    if not (who.can("export") and who.region(code)):
        return DENIED
    return OK if code in COUNTY_LEVEL else MISSING  # every county of the world is in the stored run


def _quality_report(who: Who, code: str) -> Expect:
    return _school_page(who, code) if len(code) == 10 else _va_county(who, code)


def _quality_report_pdf(who: Who, code: str) -> Expect:
    if len(code) != 10:
        return _va_county_pdf(who, code)
    exp = _school_page(who, code)
    return DENIED if exp is OK and not who.can("export") else exp


def _api_va_county(who: Who, target: str) -> Expect:
    """The value-added API: like the county page, but outside the subtree answers 404 (D15)."""
    code = target.partition("?")[0]
    if code not in KNOWN_REGIONS:
        return MISSING
    if not who.region(code):
        return HIDDEN
    return OK if code in COUNTY_LEVEL else MISSING


def _api_va_school(who: Who, code: str) -> Expect:
    if code not in SCHOOL_YEARS:
        return MISSING
    return OK if who.school_in(code, latest_county(code)) else HIDDEN


def check_api_va_county(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if not exp.grants:
        return
    code, _, query = target.partition("?")
    runs = r.json()["runs"]
    assert len(runs) == (0 if query else 1)  # the world's one run is of 2024
    for run in runs:
        codes = [s["code"] for s in run["schools"]]
        assert codes == sorted(codes) and codes == sorted(c for c, y in SCHOOL_YEARS.items() if y[YEAR] == code)
        assert run["provenance"]["inputs_hash"] and run["latest"]


def check_api_va_school(r: Any, who: Who, code: str, world: World, exp: Expect) -> None:
    if exp.grants:
        results = r.json()["results"]
        assert [(e["year"], e["subject"], e["result"]["code"]) for e in results] == [(YEAR, "数学", code)]


def check_pdf(r: Any, who: Who, target: str, world: World, exp: Expect) -> None:
    if exp.grants:
        assert r.content.startswith(b"%PDF") and len(r.content) > 3000


VA_REPORT_TARGETS = (COUNTY_A, COUNTY_B, HEBEI_COUNTY, "210000", CLERK_SCHOOL, SCHOOL_B, MOVED, UNKNOWN_SCHOOL)


SCHOOL_TARGETS = (CLERK_SCHOOL, OTHER_A, SCHOOL_B, HEBEI_SCHOOL, MOVED, UNKNOWN_SCHOOL)
ONE = ("-",)

TABLE: dict[str, Spec] = {
    # ------------------------------------------------------------ pages
    "home": Spec("", ONE, get("/"), page(_home)),
    "login": Spec("login/", ONE, get("/login/"), lambda who, t, w: OK if who.anonymous else redirect("/")),
    "logout": Spec("logout/", ONE, lambda w, t: Req("POST", "/logout/"), lambda who, t, w: redirect("/login/")),
    "set_language": Spec("i18n/setlang/", ONE, lambda w, t: Req("POST", "/i18n/setlang/",
                                                                data={"language": "zh-hans", "next": "/public/"}),
                         lambda who, t, w: redirect("/public/")),
    "region": Spec("region/<str:code>/", REGIONS, get("/region/{target}/"), page(_region)),
    "region_map": Spec("region/<str:code>/map.geojson", REGIONS, get("/region/{target}/map.geojson"),
                       page(_region_map), check=check_region_map),
    "school": Spec("school/<str:code>/", SCHOOL_TARGETS, get("/school/{target}/"), page(_school_page)),
    "data": Spec("data/", ONE, get("/data/"), page(needs("import"))),
    "template_download": Spec("data/template.<str:fmt>", ("xlsx", "csv+data", "xlsx+data", "doc"), _template_request,
                              page(_template), check=check_template),
    "upload": Spec("data/upload/", tuple(UPLOADS), _upload_request(api_call=False), page(_web_upload),
                   check=check_web_upload),
    "school_edit": Spec("data/school/<str:code>/<int:year>/", (*EDIT_TARGETS, f"{CLERK_SCHOOL}/2019"),
                        get("/data/school/{target}/"), page(_edit)),
    "standards": Spec("standards/", ONE, get("/standards/"), public),
    "standard_detail": Spec("standards/<str:sid>/", ("youzhi2017", "elements", "youzhi2017?province=21"),
                            _standard_request, public),
    "public_index": Spec("public/", ONE, get("/public/"), public),
    "assess": Spec("assess/", ONE, get("/assess/"), page(needs("assess"))),
    "report_download": Spec("reports/<int:run>/<str:county>.<str:fmt>", REPORT_TARGETS, _report_request,
                            page(_report), check=check_report),
    "audit": Spec("audit/", ("-", f"?actor={USERS['hebei'].username}"), get("/audit/{target}"), page(needs("audit")),
                  check=check_audit),
    "rounds": Spec("supervision/", ONE, get("/supervision/"), page(_rounds)),
    "round_detail": Spec("supervision/rounds/<int:pk>/", ("LN", "HB", "GUESS"),
                         lambda w, t: Req("GET", f"/supervision/rounds/{w.rounds[t]}/"), page(_round_page)),
    "case_detail": Spec("supervision/cases/<int:pk>/", ("A", "B", "HBC", "CGUESS"),
                        lambda w, t: Req("GET", f"/supervision/cases/{w.rounds[t]}/"), page(_case_page)),
    # ---- rows: supervision pages
    "round_publish": Spec("supervision/rounds/<int:pk>/publish/", ("LN", "HB"),
                          lambda w, t: Req("POST", f"/supervision/rounds/{w.rounds[t]}/publish/",
                                           data={"title": "结果公告"}),
                          page(supervision_rows.publish(Expect((302,)), DENIED))),
    "evidence_download": Spec("supervision/files/<int:pk>/", ("FA", "FB", "FH", "FGUESS"),
                              lambda w, t: Req("GET", f"/supervision/files/{w.rounds[t]}/"),
                              page(supervision_rows.file_page(OK, DENIED, MISSING))),
    "tasks": Spec("supervision/tasks/", ("-", f"?county={COUNTY_B}", "?state=open&overdue=1"),
                  get("/supervision/tasks/{target}"), page(supervision_rows.tasks_list(OK, DENIED))),
    "task_detail": Spec("supervision/tasks/<int:pk>/", ("TA", "TB", "TH", "TGUESS"),
                        lambda w, t: Req("GET", f"/supervision/tasks/{w.rounds[t]}/"),
                        page(supervision_rows.task_page(OK, DENIED, MISSING))),
    "overdue_dashboard": Spec("supervision/overdue/", ONE, get("/supervision/overdue/"),
                              page(supervision_rows.dashboard(OK, DENIED))),
    "public_announcements": Spec("public/announcements/<str:province>/", ("21", "13", "99"),
                                 lambda w, t: Req("GET", f"/public/announcements/{t}/",
                                                  echo=supervision_rows.public_echo()),
                                 supervision_rows.public_list(OK, MISSING)),
    "public_announcement": Spec("public/announcement/<int:pk>/", ("NLN", "NHB", "NGUESS"),
                                lambda w, t: Req("GET", f"/public/announcement/{w.rounds[t]}/",
                                                 echo=supervision_rows.public_echo()),
                                supervision_rows.public_page(OK, MISSING)),
    "list_rounds": Spec("api/supervision/rounds", ONE, get("/api/supervision/rounds"), api(lambda who, t: OK),
                        api=True),
    "get_round": Spec("api/supervision/rounds/<round_id>", ("LN", "HB", "GUESS"),
                      lambda w, t: Req("GET", f"/api/supervision/rounds/{w.rounds[t]}"),
                      api(supervision_rows.api_round(OK, HIDDEN, MISSING)), api=True),
    "get_case": Spec("api/supervision/cases/<case_id>", ("A", "B", "HBC", "CGUESS"),
                     lambda w, t: Req("GET", f"/api/supervision/cases/{w.rounds[t]}"),
                     api(supervision_rows.api_case(OK, HIDDEN, MISSING)), api=True),
    "post_case_step": Spec("api/supervision/cases/<case_id>/steps", ("A", "B", "HBC"),
                           lambda w, t: Req("POST", f"/api/supervision/cases/{w.rounds[t]}/steps",
                                            data=json.dumps({"action": "submit", "comment": "自评"}),
                                            content_type="application/json"),
                           api(supervision_rows.api_step(CREATED, REFUSED, HIDDEN)), api=True),
    "list_tasks": Spec("api/supervision/tasks", ("-", f"?county={COUNTY_A}"), get("/api/supervision/tasks{target}"),
                       api(lambda who, t: OK), api=True),
    # ---- rows: inspection and quality evaluation
    "inspection_list": Spec("inspection/", ONE, get("/inspection/"), page(lambda who, t: OK)),
    "inspection_create": Spec("inspection/new/", ONE, get("/inspection/new/"),
                              page(lambda who, t: OK if who.role in inspection_rows.CREATORS else DENIED)),
    "inspection_detail": Spec("inspection/<int:pk>/", ("EA", "ES", "EB", "EH", "GUESS"),
                              lambda w, t: Req("GET", f"/inspection/{w.inspection[t]}/"),
                              page(inspection_rows.evaluation_page(OK, DENIED, MISSING))),
    "inspection_score": Spec("inspection/<int:pk>/score/", ("EA", "ES", "EB", "EH", "GUESS"),
                             lambda w, t: Req("GET", f"/inspection/{w.inspection[t]}/score/"),
                             page(inspection_rows.score_page(OK, DENIED, MISSING))),
    "inspection_reconcile": Spec("inspection/<int:pk>/reconcile/", ("EA", "ES", "EH", "GUESS"),
                                 lambda w, t: Req("GET", f"/inspection/{w.inspection[t]}/reconcile/"),
                                 page(inspection_rows.evaluation_page(OK, DENIED, MISSING))),
    "inspection_rollup": Spec("inspection/<int:pk>/rollup/", ("EA", "ES", "EB", "EH", "GUESS"),
                              lambda w, t: Req("GET", f"/inspection/{w.inspection[t]}/rollup/"),
                              page(inspection_rows.evaluation_page(OK, DENIED, MISSING))),
    "inspection_evidence": Spec("inspection/evidence/<int:pk>/", ("XA", "XH", "XGUESS"),
                                lambda w, t: Req("GET", f"/inspection/evidence/{w.inspection[t]}/"),
                                page(inspection_rows.evidence(OK, DENIED, MISSING))),
    "inspection_frameworks": Spec("inspection/frameworks/", ONE, get("/inspection/frameworks/"), page(lambda who, t: OK)),
    "inspection_framework": Spec("inspection/frameworks/<int:pk>/", ("FQ", "FHB", "FGUESS"),
                                 lambda w, t: Req("GET", f"/inspection/frameworks/{w.inspection[t]}/"),
                                 page(inspection_rows.framework_page(OK, DENIED, MISSING))),
    "inspection_case": Spec("inspection/cases/<int:pk>/", ("A", "B", "HBC", "CGUESS"),
                            lambda w, t: Req("GET", f"/inspection/cases/{w.rounds[t]}/"),
                            page(inspection_rows.case_page(OK, DENIED, MISSING))),
    # ---- rows: value-added
    "va_county": Spec("quality/value-added/<str:code>/", REGIONS, get("/quality/value-added/{target}/"),
                      page(_va_county)),
    "va_county_pdf": Spec("quality/value-added/<str:code>.pdf", (COUNTY_A, COUNTY_B, HEBEI_COUNTY, "210500"),
                          get("/quality/value-added/{target}.pdf"), page(_va_county_pdf), check=check_pdf),
    "va_school": Spec("quality/value-added/school/<str:code>/", SCHOOL_TARGETS,
                      get("/quality/value-added/school/{target}/"), page(_school_page)),
    "get_county_value_added": Spec("api/quality/value-added/<county>", (*REGIONS, f"{COUNTY_A}?year=2023"),
                                   get("/api/quality/value-added/{target}"), api(_api_va_county), api=True,
                                   check=check_api_va_county),
    "get_school_value_added": Spec("api/quality/value-added/school/<code>", SCHOOL_TARGETS,
                                   get("/api/quality/value-added/school/{target}"), api(_api_va_school), api=True,
                                   check=check_api_va_school),
    "quality_report": Spec("quality/report/<str:code>/", VA_REPORT_TARGETS, get("/quality/report/{target}/"),
                           page(_quality_report)),
    "quality_report_pdf": Spec("quality/report/<str:code>.pdf", VA_REPORT_TARGETS, get("/quality/report/{target}.pdf"),
                               page(_quality_report_pdf), check=check_pdf),
    # ---- rows: targets and schedule
    "planning": Spec("planning/", ONE, get("/planning/"),
                     page(lambda who, t: DENIED if who.school else redirect(f"/planning/targets/{who.unit}/"))),
    "planning_targets": Spec("planning/targets/<str:code>/", REGIONS, get("/planning/targets/{target}/"), page(_region),
                             check=planning_rows.no_names),
    "planning_schedule": Spec("planning/schedule/<str:code>/", REGIONS, get("/planning/schedule/{target}/"),
                              page(_region), check=planning_rows.no_names),
    "planning_schedule_xlsx": Spec("planning/schedule/<str:code>.xlsx", REGIONS, get("/planning/schedule/{target}.xlsx"),
                                   page(needs("export", _region)), check=planning_rows.no_names),
    "planning_terms": Spec("planning/terms/", ("-", f"?county={COUNTY_B}"), get("/planning/terms/{target}"),
                           page(needs("terms")), check=planning_rows.terms_page),
    "planning_terms_template": Spec("planning/terms/template.xlsx", ONE, get("/planning/terms/template.xlsx"),
                                    page(needs("terms")), check=planning_rows.terms_page),
    # ---- rows: student aid
    "aid_home": Spec("aid/", ONE, get("/aid/"), page(lambda who, t: aid_rows.home(who, redirect))),
    "aid_region": Spec("aid/region/<str:code>/", REGIONS, get("/aid/region/{target}/"), page(_region)),
    "aid_proposals": Spec("aid/region/<str:code>/proposals/", (COUNTY_A, COUNTY_B, "210000"),
                          get("/aid/region/{target}/proposals/"),
                          page(lambda who, t: aid_rows.proposals_page(who, t, OK, DENIED, MISSING))),
    "aid_proposal_decide": Spec("aid/proposals/<int:pk>/", aid_rows.PROPOSALS,
                                lambda w, t: Req("POST", f"/aid/proposals/{w.aid[t]}/", data={"action": "confirm"}),
                                page(lambda who, t: aid_rows.decide(who, t, redirect, DENIED, MISSING)),
                                check=aid_rows.check_decide),
    "aid_school": Spec("aid/school/<str:code>/", aid_rows.SCHOOLS, get("/aid/school/{target}/"),
                       page(lambda who, t: aid_rows.school_page(who, t, OK, DENIED, OUTSIDE, MISSING))),
    "aid_notice": Spec("aid/school/<str:code>/notice/", aid_rows.SCHOOLS, get("/aid/school/{target}/notice/"),
                       page(lambda who, t: aid_rows.school_page(who, t, OK, DENIED, OUTSIDE, MISSING))),
    "aid_export": Spec("aid/export/<str:code>.xlsx", aid_rows.EXPORTS, get("/aid/export/{target}.xlsx"),
                       page(lambda who, t: aid_rows.export(who, t, OK, DENIED, MISSING))),
    # ---- rows: teachers
    "teachers_home": Spec("teachers/", ONE, get("/teachers/"), page(_rounds)),
    "teachers_upload": Spec("teachers/upload/", ONE, get("/teachers/upload/"), page(needs("import"))),
    **{name: Spec(route, teacher_rows.COUNTIES, get("/" + route.replace("<str:code>", "{target}")),
                  page(lambda who, t: teacher_rows.county_page(who, t, OK, DENIED, MISSING)))
       for name, route in (("teachers_county", "teachers/county/<str:code>/"),
                           ("teachers_eligible", "teachers/county/<str:code>/eligible/"),
                           ("teachers_plans", "teachers/county/<str:code>/plans/"))},
    "teachers_plan": Spec("teachers/plans/<int:pk>/", teacher_rows.PLANS,
                          lambda w, t: Req("GET", f"/teachers/plans/{w.teachers[t]}/"),
                          page(lambda who, t: teacher_rows.plan_page(who, t, OK, DENIED, MISSING))),
    "teachers_plan_xlsx": Spec("teachers/plans/<int:pk>.xlsx", teacher_rows.PLANS,
                               lambda w, t: Req("GET", f"/teachers/plans/{w.teachers[t]}.xlsx"),
                               page(lambda who, t: teacher_rows.plan_page(who, t, OK, DENIED, MISSING, "export")),
                               check=teacher_rows.check_xlsx),
    "get_teacher_staffing": Spec("api/teachers/counties/<code>/staffing", teacher_rows.COUNTIES,
                                 get("/api/teachers/counties/{target}/staffing"), api(_api_region), api=True),
    "get_teacher_eligibility": Spec("api/teachers/counties/<code>/eligibility", teacher_rows.COUNTIES,
                                    get("/api/teachers/counties/{target}/eligibility"), api(_api_region), api=True),
    "get_rotation_indicators": Spec("api/teachers/indicators", ONE, get("/api/teachers/indicators"),
                                    api(lambda who, t: OK), api=True),
    "post_rotation_plan": Spec("api/teachers/plans", (teacher_rows.COUNTY_A, teacher_rows.COUNTY_B),
                               lambda w, t: Req("POST", "/api/teachers/plans", json.dumps({"county": t, "year": YEAR,
                                                                                           "time_limit": 2}),
                                                content_type="application/json"),
                               api(lambda who, t: teacher_rows.api_plan_post(who, t, Expect, DENIED, CREATED)), api=True),
    "get_rotation_plan": Spec("api/teachers/plans/<plan_id>", teacher_rows.PLANS,
                              lambda w, t: Req("GET", f"/api/teachers/plans/{w.teachers[t]}"),
                              api(lambda who, t: teacher_rows.api_plan(who, t, OK, HIDDEN, MISSING)), api=True),
    # ---- rows: school places
    "places_home": Spec("places/", ONE, get("/places/"),
                        page(lambda who, t: places_rows.home(who, OK, DENIED, redirect))),
    "places_import": Spec("places/import/", ONE, get("/places/import/"), page(needs("import"))),
    "places_region": Spec("places/<str:code>/", REGIONS, get("/places/{target}/"), page(_region),
                          check=places_rows.check_region),
    "places_report": Spec("places/<str:code>/report.<str:fmt>", places_rows.REPORT_TARGETS,
                          lambda w, t: Req("GET", "/places/{}/report.{}".format(*t.split("/"))),
                          page(lambda who, t: places_rows.report(who, t, OK, DENIED, MISSING)),
                          check=places_rows.check_report),
    # ------------------------------------------------------------ API
    "dudao-api-root": Spec("api/", ONE, get("/api/"), public, api=True),
    "dudao-api-docs-asset": Spec("api/docs/assets/<str:name>", ("swagger-ui.css", "secrets.js"),
                                 get("/api/docs/assets/{target}"),
                                 lambda who, t, w: OK if t == "swagger-ui.css" else MISSING, api=True),
    "openapi-json": Spec("api/openapi.json", ONE, get("/api/openapi.json"), public, api=True),
    "openapi-view": Spec("api/docs", ONE, get("/api/docs"), public, api=True),
    "api-root": Spec("api/", (), get("/api/"), public, api=True),  # ninja's own root: shadowed by dudao-api-root
    "list_orgunits": Spec("api/orgunits", ("-", "?parent=211300"), get("/api/orgunits{target}"),
                          api(lambda who, t: OK), api=True, check=check_orgunits),
    "get_orgunit": Spec("api/orgunits/<code>", REGIONS, get("/api/orgunits/{target}"), api(_api_region), api=True,
                        check=check_orgunit),
    "list_schools": Spec("api/schools", ("-", f"?county={COUNTY_B}", "?year=2023"), get("/api/schools{target}"),
                         api(lambda who, t: OK), api=True, check=check_school_list),
    "get_school": Spec("api/schools/<code>", SCHOOL_TARGETS, get("/api/schools/{target}"), api(_api_school), api=True,
                       check=check_school),
    "get_school_statistics": Spec("api/schools/<code>/statistics", SCHOOL_TARGETS,
                                  get("/api/schools/{target}/statistics"), api(_api_school), api=True,
                                  check=check_statistics),
    "list_assessments": Spec("api/assessments", ("-", f"?county={COUNTY_B}"), get("/api/assessments{target}"),
                             api(lambda who, t: OK), api=True, check=check_run_list),
    "post_assessment": Spec("api/assessments", (COUNTY_A, COUNTY_B, "210000", "all"), _api_assess_request,
                            api(_api_assess), api=True, check=check_api_assess),
    "get_assessment": Spec("api/assessments/<run_id>", ("ALL", "B", "GUESS"), _run_request, api(_api_run), api=True,
                           check=check_run),
    "post_import": Spec("api/imports", tuple(UPLOADS), _upload_request(api_call=True), api(_api_upload), api=True,
                        check=check_api_upload),
    "list_standards": Spec("api/standards", ONE, get("/api/standards"), public, api=True),
    "get_places": Spec("api/places/<code>", REGIONS, get("/api/places/{target}"), api(_api_region), api=True,
                       check=places_rows.check_api),
    "get_standard": Spec("api/standards/<standard_id>", ("youzhi2017",), get("/api/standards/{target}"), public,
                         api=True),
    "get_elements": Spec("api/elements", ONE, get("/api/elements"), public, api=True),
    "api/^.*$": Spec("api/^.*$", ("nope", "schools/3421000008/secret"), get("/api/{target}"),
                     lambda who, t, w: MISSING, api=True),
}

# routes that answer more than one method: the extra method's own rows (same route, same URL name)
EXTRA: dict[str, Spec] = {
    "school_edit POST": Spec("data/school/<str:code>/<int:year>/", EDIT_TARGETS,
                             lambda w, t: Req("POST", f"/data/school/{t}/", data=w.edit_forms[t]),
                             page(_edit_post), check=check_edit),
    "assess POST": Spec("assess/", (COUNTY_A, COUNTY_B, "210000"), _assess_request, page(_assess_post),
                        check=check_assess),
    # ---- extra rows: supervision pages
    "task_detail POST": Spec("supervision/tasks/<int:pk>/", ("TA", "TB", "TH"),
                             lambda w, t: Req("POST", f"/supervision/tasks/{w.rounds[t]}/",
                                              data={"action": "note", "text": "进展", "progress": "10"}),
                             page(supervision_rows.task_post(Expect((302,)), Expect((302,), granted=False), DENIED))),
    # ---- extra rows: inspection and quality evaluation
    "inspection_create POST": Spec(
        "inspection/new/", (f"self/{COUNTY_A}", f"external/{COUNTY_B}"),
        lambda w, t: Req("POST", "/inspection/new/", data={"kind": t.split("/")[0], "level": "county",
                                                           "target": t.split("/")[1], "year": str(YEAR)},
                         echo={t.split("/")[1]}),  # the refused form shows the code typed in
        page(lambda who, t: DENIED if who.role not in inspection_rows.CREATORS else Expect((302,)) if
             inspection_rows.may_create(who, t) else Expect((200,), granted=False)),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.created(w, t), exp.grants)),
    "inspection_detail POST": Spec(
        "inspection/<int:pk>/", ("EA",),
        lambda w, t: Req("POST", f"/inspection/{w.inspection[t]}/",
                         data={"point": "C1.2.1", "inspectors": [str(w.users["expert_a"].pk)]}),
        page(inspection_rows.lead_post(Expect((302,)), Expect((302,), granted=False), DENIED)),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.assigned(w), exp.grants and who.key == "p_insp")),
    "inspection_score POST": Spec(
        "inspection/<int:pk>/score/", ("ES",),
        lambda w, t: Req("POST", f"/inspection/{w.inspection[t]}/score/", data={"value_S1.1.1": "8", "action": "save"}),
        page(inspection_rows.score_page(Expect((302,)), DENIED, MISSING)),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.scored(w), exp.grants)),
    "inspection_reconcile POST": Spec(
        "inspection/<int:pk>/reconcile/", ("EA",),
        lambda w, t: Req("POST", f"/inspection/{w.inspection[t]}/reconcile/",
                         data={"point": "C1.1.1", "value": "8", "reason": "复核"}),
        page(inspection_rows.lead_post(Expect((302,)), Expect((302,), granted=False), DENIED)),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.reconciled(w), exp.grants and who.key == "p_insp")),
    "inspection_frameworks POST": Spec(
        "inspection/frameworks/", ("ok", "bad"),
        lambda w, t: Req("POST", "/inspection/frameworks/", data={"framework": "quality2021"},
                         upload=w.inspection["files"][t]),
        page(lambda who, t: (Expect((302,)) if t == "ok" else Expect((200,), granted=False))
             if who.role == "province_admin" else Expect((200,), audit_on=(200,), granted=False)),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.uploaded(), exp.grants)),
    "inspection_case POST": Spec(
        "inspection/cases/<int:pk>/", ("A", "B"),
        lambda w, t: Req("POST", f"/inspection/cases/{w.rounds[t]}/",
                         data={"first": str(w.users["expert_a"].pk), "second": str(w.users["pref_a"].pk)}),
        page(lambda who, t: Expect((302,)) if inspection_rows.case_page(OK, DENIED, MISSING)(who, t) is OK
             and who.role in ("province_inspector", "prefecture_inspector") else DENIED),
        check=lambda r, who, t, w, exp: inspection_rows.effect(inspection_rows.site_visits(w), exp.grants and t == "A")),
    # ---- extra rows: value-added
    # ---- extra rows: targets and schedule
    "planning_terms POST": Spec(
        "planning/terms/", (COUNTY_A, COUNTY_B), lambda w, t: Req("POST", "/planning/terms/", data=planning_rows.form(t)),
        page(needs("terms", lambda who, t: redirect(f"/planning/terms/?county={t}") if who.region(t) else DENIED)),
        check=planning_rows.term_added),
    # ---- extra rows: student aid
    "aid_notice POST": Spec("aid/school/<str:code>/notice/", aid_rows.SCHOOLS,
                            lambda w, t: Req("POST", f"/aid/school/{t}/notice/",
                                             data={"term": aid_rows.TERM, "starts": "2024-03-10", "ends": "2024-03-16"}),
                            page(lambda who, t: aid_rows.notice_post(who, t, Expect((302,)), DENIED, OUTSIDE, MISSING))),
    # ---- extra rows: teachers
    "teachers_upload POST": Spec("teachers/upload/", tuple(teacher_rows.UPLOADS), teacher_rows.upload_request(Req),
                                 page(lambda who, t: teacher_rows.upload(who, t, Expect, DENIED)),
                                 check=teacher_rows.check_upload),
    "teachers_plans POST": Spec("teachers/county/<str:code>/plans/", (teacher_rows.COUNTY_A, teacher_rows.COUNTY_B),
                                lambda w, t: Req("POST", f"/teachers/county/{t}/plans/", data={"year": str(YEAR),
                                                                                              "time_limit": "2"}),
                                page(lambda who, t: teacher_rows.plan_post(who, t, Expect, DENIED))),
    # ---- extra rows: school places
    "places_import POST": Spec("places/import/", tuple(places_rows.UPLOADS), places_rows.upload_request(Req),
                               page(lambda who, t: places_rows.upload(who, t, Expect, DENIED)),
                               check=places_rows.check_upload),
    "rounds POST": Spec("supervision/", ("open",), _open_round_request, page(_open_round)),
    "case_detail POST": Spec("supervision/cases/<int:pk>/", ("A", "B", "HBC"),
                             lambda w, t: Req("POST", f"/supervision/cases/{w.rounds[t]}/",
                                              data={"action": "submit", "comment": "自评报告"}),
                             page(lambda who, t: Expect((302,)) if _case_page(who, t) is OK else DENIED)),
}

# real access-control bugs found by this matrix and since fixed (kept as documentation of what it guards):
# - the school page showed the years a school spent in a county outside the user's subtree;
# - a web upload named the county a school is registered under outside the user's subtree;
# - a school clerk could move its own school into another county by web upload;
# - POST /api/imports could refuse without recording a 'denied' event;
# - the audit page showed other provinces' users (events now carry the object's region code).
KNOWN_BUGS: dict[tuple[str, str, str], str] = {}


def _cases() -> list[Any]:
    out = []
    for url, spec in {**TABLE, **EXTRA}.items():
        for target in spec.targets:
            for user in USERS:
                reason = KNOWN_BUGS.get((user, url, target))
                marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
                out.append(pytest.param(user, url, target, marks=marks, id=f"{user}|{url}|{target}"))
    return out


# ---------------------------------------------------------------- the tests


def _routes() -> set[tuple[str, str]]:
    def walk(patterns: list[Any], prefix: str = "") -> Any:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                assert isinstance(p, URLPattern)
                yield prefix + str(p.pattern), p.name or prefix + str(p.pattern)

    return set(walk(get_resolver().url_patterns))


def test_every_route_is_in_the_matrix():
    """A new route fails here until it is added to TABLE with its expected behaviour."""
    assert _routes() == {(spec.route, name) for name, spec in TABLE.items()}
    assert all(TABLE[url.split()[0]].route == spec.route for url, spec in EXTRA.items())
    cases = {(u, url, t) for url, spec in {**TABLE, **EXTRA}.items() for t in spec.targets for u in USERS}
    assert set(KNOWN_BUGS) <= cases


def test_ninja_root_is_shadowed_by_ours():
    assert resolve("/api/").url_name == "dudao-api-root"


def test_capabilities_are_the_matrix():
    assert {str(role): set(actions) for role, actions in CAPABILITIES.items()} == CAN


def _send(client: Client, req: Req, headers: dict[str, str]) -> Any:
    if req.upload is not None:
        with req.upload.open("rb") as fh:
            return client.post(req.path, {**(req.data or {}), "file": fh}, headers=headers)
    if req.method == "GET":
        return client.get(req.path, headers=headers)
    if req.content_type:
        return client.post(req.path, req.data, content_type=req.content_type, headers=headers)
    return client.post(req.path, req.data or {}, headers=headers)


@pytest.mark.parametrize(("user", "url", "target"), _cases())
def test_access(world, user, url, target):
    who, spec = USERS[user], {**TABLE, **EXTRA}[url]
    exp = spec.expect(who, target, world)
    req = spec.request(world, target)
    client, headers = Client(), {}
    if not who.anonymous:
        if spec.api:
            headers["Authorization"] = f"Bearer {world.tokens[user]}"
        else:
            client.force_login(world.users[user])
    denied_before = AuditEvent.objects.filter(action="denied", actor=who.username).count()

    r = _send(client, req, headers)

    assert r.status_code in exp.statuses, (r.status_code, exp, r.content[:300])
    if exp.location is not None:
        login = exp.location.endswith("?next=")
        assert r["Location"].startswith(exp.location) if login else r["Location"] == exp.location, r["Location"]
    if spec.api and r.status_code >= 400:
        assert r["Content-Type"].startswith("application/json") and r.json()["code"], r.content[:200]
    echo = {m for m in markers(who) if m in req.path} | req.echo
    found = leaks(_text(r), who, echo)
    assert not found, f"the answer shows data outside the user's subtree: {found}"
    if spec.check is not None:
        spec.check(r, who, target, world, exp)
    denied = AuditEvent.objects.filter(action="denied", actor=who.username).count() - denied_before
    if exp.grants:
        assert denied == 0, "an allowed request recorded a refusal"
    if not who.anonymous and r.status_code in exp.audit_on:
        assert denied >= 1, "the refusal was not recorded as a 'denied' audit event"


def test_audit_page_shows_no_other_provinces_users(world):
    client = Client()
    client.force_login(world.users["p_admin"])
    body = client.get("/audit/").content.decode()
    assert USERS["hebei"].username not in body

"""The JSON API (django-ninja): thin handlers over the services, scoped by ``dudao.accounts.permissions``.

Authentication is a bearer token (``Authorization: Bearer dd_…``, issued by ``dudao users token``) or the
browser's session (unsafe methods then need the CSRF token). Every error is JSON
``{"code": "E_…", "message": "<中文>", "message_en": "<English>"}`` with its HTTP status; objects outside
the user's area answer 404, exactly like objects that do not exist, so that codes and ids cannot be probed.
The OpenAPI schema is at ``/api/openapi.json``; ``/api/docs`` is Swagger UI served from the files bundled
with django-ninja (no CDN).
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from django.core.exceptions import PermissionDenied, RequestDataTooBig, SuspiciousOperation
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.views.decorators.csrf import csrf_exempt
from ninja import Field, File, NinjaAPI, Query, Schema, UploadedFile
from ninja import Path as PathParam
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.docs import DocsBase
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder, Status
from ninja.security import HttpBearer
from ninja.security.apikey import APIKeyCookie
from ninja.utils import check_csrf

from dudao.accounts.models import ApiToken
from dudao.accounts.permissions import ASSESS, IMPORT, VIEW, check, county_filter, scope_of
from dudao.assessment.errors import AssessmentError
from dudao.assessment.models import AssessmentCounty, AssessmentRun
from dudao.audit.services import actor_of, record, set_actor
from dudao.orgunits.models import OrgUnit
from dudao.schools.models import School, SchoolYear
from dudao.standards.model import (
    CONFIDENCE_ZH,
    DATA_DIR,
    StandardsError,
    available_standards,
    load_dictionary,
    load_standard,
)

log = logging.getLogger(__name__)

CODE_REGION = r"^[0-9]{6}$"
CODE_SCHOOL = r"^[0-9]{10}$"
STANDARD_ID = r"^[a-z][a-z0-9_]{0,31}$"
PROVINCE = r"^[0-9]{2}$"
YEAR_MIN, YEAR_MAX = 1990, 2100
MAX_ID = 2**31 - 1
SECTION_ORDER = {"primary": 0, "junior": 1, "senior": 2}
SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


# ---------------------------------------------------------------- errors


class ApiError(Exception):
    """An error answered as JSON with a code and both messages."""

    def __init__(self, status: int, code: str, zh: str, en: str, **extra: Any):
        super().__init__(f"{code}: {en}")
        self.status, self.code, self.zh, self.en, self.extra = status, code, zh, en, extra

    def body(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.zh, "message_en": self.en, **self.extra}


def not_found() -> ApiError:
    return ApiError(404, "E_NOT_FOUND", "未找到，或不在您的管辖范围内", "not found, or outside your area")


def forbidden(zh: str = "无权执行此操作", en: str = "not allowed", code: str = "E_FORBIDDEN") -> ApiError:
    return ApiError(403, code, zh, en)


UNAUTHORIZED = ("E_AUTH", "未登录，或 API 令牌无效", "not authenticated: missing or invalid API token")
METHOD = ("E_METHOD", "不支持此请求方法", "method not allowed")


def error_body(code: str, zh: str, en: str, **extra: Any) -> dict[str, Any]:
    return {"code": code, "message": zh, "message_en": en, **extra}


class ErrorOut(Schema):
    """Every error response."""

    code: str = Field(..., description="错误代码 / error code, e.g. E_NOT_FOUND")
    message: str = Field(..., description="中文说明")
    message_en: str = Field(..., description="English message")


ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
PUBLIC_ERRORS: dict[int, type[ErrorOut]] = {400: ErrorOut, 404: ErrorOut, 422: ErrorOut}


# ---------------------------------------------------------------- rendering and the API object


def _finite(value: Any) -> Any:
    """The value with every NaN/∞ float replaced by None (JSON has no NaN)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class Renderer(JSONRenderer):
    """UTF-8 JSON with Chinese unescaped and strictly valid numbers."""

    def render(self, request: HttpRequest, data: Any, *, response_status: int) -> Any:
        try:
            return json.dumps(data, cls=NinjaJSONEncoder, ensure_ascii=False, allow_nan=False)
        except ValueError:
            plain = json.loads(json.dumps(data, cls=NinjaJSONEncoder))
            return json.dumps(_finite(plain), ensure_ascii=False, allow_nan=False)


ASSETS = {  # Swagger UI files bundled with django-ninja, served by ``docs_asset``
    "swagger-ui.css": "text/css",
    "swagger-ui-bundle.js": "text/javascript",
    "swagger-ui-init.js": "text/javascript",
    "favicon.png": "image/png",
    "favicon.svg": "image/svg+xml",
}
ASSET_DIR = Path(__import__("ninja").__file__).parent / "static" / "ninja"


class LocalSwagger(DocsBase):
    """Swagger UI from django-ninja's bundled files (ninja's own Swagger page would load them from a CDN)."""

    page = """<!DOCTYPE html>
<html lang="zh-Hans">
<head>
<meta charset="utf-8">
<title>{title}</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" href="{icon}" type="image/svg+xml">
</head>
<body data-csrf-token="{csrf}" data-api-csrf="true">
<script type="application/json" id="swagger-settings">{settings}</script>
<div id="swagger-ui"></div>
<script src="{bundle}"></script>
<script src="{init}"></script>
</body>
</html>
"""

    def render_page(self, request: HttpRequest, api: NinjaAPI, **kwargs: Any) -> HttpResponse:
        def asset(name: str) -> str:
            return escape(reverse("dudao-api-docs-asset", args=[name]))

        settings = {"url": self.get_openapi_url(api, kwargs), "layout": "BaseLayout", "deepLinking": True,
                    "validatorUrl": None}  # no badge fetched from validator.swagger.io
        html = self.page.format(
            title=escape(api.title), css=asset("swagger-ui.css"), icon=asset("favicon.svg"),
            csrf=escape(get_token(request)), settings=json.dumps(settings).replace("</", "<\\/"),
            bundle=asset("swagger-ui-bundle.js"), init=asset("swagger-ui-init.js"),
        )
        return HttpResponse(html, content_type="text/html; charset=utf-8")


def docs_asset(request: HttpRequest, name: str) -> HttpResponse:
    """One of the Swagger UI files (a fixed list; anything else is a JSON 404)."""
    if name not in ASSETS or not (ASSET_DIR / name).is_file():
        return JsonResponse(error_body("E_NOT_FOUND", "未找到", "not found"), status=404)
    response = FileResponse((ASSET_DIR / name).open("rb"), content_type=ASSETS[name])
    response["Cache-Control"] = "public, max-age=86400"
    return response


class DudaoAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Any) -> str:
        return str(operation.view_func.__name__)


# ---------------------------------------------------------------- authentication


def _bind(request: HttpRequest, user: Any) -> Any:
    """Makes the authenticated user the request's user and the audit actor."""
    request.user = user
    set_actor(actor_of(user, request.META.get("REMOTE_ADDR")))
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``: the token's SHA-256 against ApiToken."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        token = token.strip()
        if not token or len(token) > 256:
            return None
        found = ApiToken.objects.select_related("user", "user__org_unit").filter(digest=ApiToken.hash(token)).first()
        if found is None or not found.user.is_active:
            return None
        ApiToken.objects.filter(pk=found.pk).update(last_used=timezone.now())
        return _bind(request, found.user)


class SessionAuth(APIKeyCookie):
    """The browser's Django session; unsafe methods must carry the CSRF token.

    A request that sends an ``Authorization`` header is judged by that header alone.
    """

    param_name = "sessionid"

    def __init__(self) -> None:
        from django.conf import settings

        self.param_name = settings.SESSION_COOKIE_NAME
        super().__init__(csrf=False)  # checked below, only once the session is known to be a login

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if not key or "Authorization" in request.headers or user is None or not user.is_authenticated:
            return None
        if request.method not in SAFE_METHODS and check_csrf(request) is not None:
            raise ApiError(403, "E_CSRF", "CSRF 校验失败，请刷新页面后重试", "CSRF check failed; reload the page")
        return _bind(request, user)


api = DudaoAPI(
    title="督导 dudao API",
    version="1",
    description=(
        "义务教育督导评估系统的 JSON 接口。认证：`Authorization: Bearer <令牌>`（`dudao users token 用户名` 签发）"
        "或浏览器登录会话。所有读取均限于用户的管辖范围。错误为 JSON：`code`、`message`（中文）、`message_en`。\n\n"
        "JSON API of the dudao supervision system. Authenticate with `Authorization: Bearer <token>` "
        "(issued by `dudao users token USERNAME`) or a browser session. Reads are limited to the user's area. "
        "Errors are JSON with `code`, `message` (Chinese) and `message_en`."
    ),
    urls_namespace="dudao-api",
    auth=[TokenAuth(), SessionAuth()],
    docs=LocalSwagger(),
    renderer=Renderer(),
)


def _json(request: HttpRequest, status: int, body: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, body, status=status)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
    return _json(request, exc.status, exc.body())


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = _json(request, 401, error_body(*UNAUTHORIZED))
    response["WWW-Authenticate"] = 'Bearer realm="dudao"'
    return response


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    status = exc.status_code
    if status == 401:
        return _unauthenticated(request, AuthenticationError())
    if status == 403:
        return _json(request, 403, error_body("E_FORBIDDEN", "无权执行此操作", str(exc) or "forbidden"))
    if status == 429:
        return _json(request, 429, error_body("E_THROTTLED", "请求过于频繁，请稍后再试", "too many requests"))
    return _json(request, status, error_body("E_HTTP", "请求无法处理", str(exc) or "request refused"))


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [{"loc": [str(p) for p in e.get("loc", ())], "type": str(e.get("type", "")), "msg": str(e.get("msg", ""))}
              for e in exc.errors]
    return _json(request, 422, error_body("E_VALIDATION", "请求参数无效", "invalid request parameters", errors=errors))


@api.exception_handler(PermissionDenied)
def _denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _json(request, 403, forbidden().body())


@api.exception_handler(Http404)
def _missing(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _json(request, 404, not_found().body())


@api.exception_handler(AssessmentError)
def _assessment_error(request: HttpRequest, exc: AssessmentError) -> HttpResponse:
    return _json(request, 422, error_body(exc.error.code, exc.message_zh, exc.message_en))


@api.exception_handler(StandardsError)
def _standards_error(request: HttpRequest, exc: StandardsError) -> HttpResponse:
    return _json(request, 422, error_body("E_STANDARD", str(exc), "the standard cannot be loaded (see message)"))


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return _json(request, 413, error_body("E_TOO_LARGE", "请求内容过大", "request body too large"))


@api.exception_handler(SuspiciousOperation)
def _bad_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    return _json(request, 400, error_body("E_BAD_REQUEST", "请求格式错误", "malformed request"))


@api.exception_handler(Exception)
def _internal(request: HttpRequest, exc: Exception) -> HttpResponse:
    log.exception("API error on %s %s", request.method, request.path)
    return _json(request, 500, error_body("E_INTERNAL", "服务器内部错误，已记录", "internal error (logged)"))


# ---------------------------------------------------------------- scope helpers


def _user(request: HttpRequest) -> Any:
    return request.auth  # type: ignore[attr-defined]


def _hidden(user: Any, *, region: str | None = None, school: tuple[str, str] | None = None) -> ApiError:
    """Records the refusal (through ``check``) and returns the 404 to raise for an object outside the scope."""
    with contextlib.suppress(PermissionDenied):
        check(user, VIEW, region=region, school=school)
    return not_found()


def _school_years_in_scope(user: Any) -> Any:
    """The SchoolYear rows the user may see."""
    check(user, VIEW)
    scope = scope_of(user)
    qs = SchoolYear.objects.select_related("school", "county")
    if scope.prefix is None:
        return qs.none()
    if scope.school_code:
        return qs.filter(school__code=scope.school_code)
    return qs.filter(county__code__startswith=scope.prefix)


# ---------------------------------------------------------------- schemas


class OrgUnitOut(Schema):
    code: str = Field(..., description="行政区划代码 / region code")
    name: str
    level: Literal["province", "prefecture", "county"]
    parent: str | None = Field(None, description="上级单位代码 / parent's code")


class OrgUnitDetail(OrgUnitOut):
    longitude: float | None = None
    latitude: float | None = None
    children: list[OrgUnitOut] = Field(default_factory=list, description="管辖范围内的下级单位 / children in scope")


class SchoolYearOut(Schema):
    code: str = Field(..., description="学校标识码 / school code")
    name: str = Field(..., description="该学年的学校名称 / name in that year")
    year: int = Field(..., description="学年起始年份 / school year (2024 = 2024–25)")
    county: str
    county_name: str
    kind: str
    location: str
    ownership: str
    affiliation: str
    boarding: bool
    rural_school: bool
    weak_school: bool
    status: str
    merged_into: str | None = None


class SchoolPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[SchoolYearOut]


class SchoolYearDetail(Schema):
    year: int
    county: str
    county_name: str
    attributes: dict[str, Any] = Field(..., description="属性（数据元素代码）/ attributes by element code")
    values: dict[str, Any] = Field(..., description="学校级数据（数据元素代码）/ school-level values")


class SchoolOut(Schema):
    code: str
    name: str = Field(..., description="最新名称 / latest name")
    years: list[SchoolYearDetail]


class SectionValues(Schema):
    section: str = Field(..., description="学段 primary | junior | senior")
    values: dict[str, Any]


class SchoolStatistics(Schema):
    code: str
    name: str
    year: int
    county: str
    values: dict[str, Any] = Field(..., description="学校级数据 / school-level values by element code")
    sections: list[SectionValues]


class CountyVerdict(Schema):
    code: str
    name: str
    verdict: str = Field(..., description="pass | fail | incomplete")


class RunOut(Schema):
    id: int
    standard: str
    standard_version: str
    overlay: str
    year: int
    scope: str
    split_rule: str
    created_at: datetime
    counties: list[CountyVerdict] = Field(..., description="管辖范围内的县及结论 / counties in your area")


class RunPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[RunOut]


StandardId = Literal[tuple(available_standards())]  # type: ignore[valid-type]


class AssessIn(Schema):
    standard: StandardId = Field("youzhi2017", description="标准 / standard id")  # type: ignore[valid-type]
    year: int = Field(..., ge=YEAR_MIN, le=YEAR_MAX, description="学年 / school year")
    scope: str = Field("", pattern=r"^(|all|[0-9]{6})$",
                       description="地市或县级代码；留空为本人所属单位 / prefecture or county code; empty = your own unit")
    split_rule: Literal["weighted", "enrolment"] | None = Field(None, description="一贯制学校分摊规则 / split rule")
    province: str | None = Field(None, pattern=PROVINCE, description="省级覆盖 / province overlay (e.g. 21)")


class AssessOut(Schema):
    run: int
    standard: str
    standard_version: str
    year: int
    scope: str
    counties: list[CountyVerdict]


class IssueOut(Schema):
    severity: str
    code: str
    message_zh: str
    message_en: str
    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    header: str = ""
    value: str = ""


class ImportOut(Schema):
    file: str
    year: int
    accepted: bool
    counts: dict[str, int]
    batch: int | None = None
    errors: list[IssueOut]
    warnings: list[IssueOut]


class StandardSummary(Schema):
    id: str
    version: str
    name_zh: str
    name_en: str
    source: str
    confidence: Literal["C", "S", "U"]


# ---------------------------------------------------------------- org units


def _unit(u: OrgUnit, parents: dict[int, str]) -> dict[str, Any]:
    return {"code": u.code, "name": u.name, "level": u.level, "parent": parents.get(u.parent_id) if u.parent_id else None}


@api.get("/orgunits", response={200: list[OrgUnitOut], **ERRORS}, tags=["orgunits"],
         summary="管辖范围内的行政单位 / org units in your area")
def list_orgunits(request: HttpRequest,
                  level: Literal["province", "prefecture", "county"] | None = None,
                  parent: str | None = Query(None, pattern=CODE_REGION, description="上级单位代码 / parent code")) -> Any:
    user = _user(request)
    check(user, VIEW)
    flt = county_filter(user)
    if flt is None:
        return []
    qs = OrgUnit.objects.filter(**flt).select_related("parent").order_by("code")
    if level:
        qs = qs.filter(level=level)
    if parent:
        qs = qs.filter(parent__code=parent)
    return [{"code": u.code, "name": u.name, "level": u.level, "parent": u.parent.code if u.parent else None} for u in qs]


@api.get("/orgunits/{code}", response={200: OrgUnitDetail, **ERRORS}, tags=["orgunits"],
         summary="一个行政单位 / one org unit")
def get_orgunit(request: HttpRequest, code: str = PathParam(..., pattern=CODE_REGION)) -> Any:
    user = _user(request)
    unit = OrgUnit.objects.select_related("parent").filter(code=code).first()
    if unit is None:
        raise not_found()
    if not scope_of(user).covers_region(code):
        raise _hidden(user, region=code)
    children = unit.children.order_by("code")
    return {"code": unit.code, "name": unit.name, "level": unit.level,
            "parent": unit.parent.code if unit.parent else None, "longitude": unit.longitude, "latitude": unit.latitude,
            "children": [{"code": c.code, "name": c.name, "level": c.level, "parent": unit.code} for c in children]}


# ---------------------------------------------------------------- schools


def _school_year_row(sy: SchoolYear) -> dict[str, Any]:
    return {"code": sy.school.code, "name": sy.name, "year": sy.year, "county": sy.county.code,
            "county_name": sy.county.name, "kind": sy.kind, "location": sy.location, "ownership": sy.ownership,
            "affiliation": sy.affiliation, "boarding": sy.boarding, "rural_school": sy.rural_school,
            "weak_school": sy.weak_school, "status": sy.status, "merged_into": sy.merged_into or None}


@api.get("/schools", response={200: SchoolPage, **ERRORS}, tags=["schools"],
         summary="管辖范围内的学校（按学年）/ school-years in your area")
def list_schools(request: HttpRequest,
                 year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX, description="学年 / school year"),
                 county: str | None = Query(None, pattern=CODE_REGION, description="县级代码 / county code"),
                 limit: int = Query(100, ge=1, le=1000),
                 offset: int = Query(0, ge=0, le=10_000_000)) -> Any:
    qs = _school_years_in_scope(_user(request))
    if year is not None:
        qs = qs.filter(year=year)
    if county:
        qs = qs.filter(county__code=county)
    qs = qs.order_by("year", "school__code")
    return {"count": qs.count(), "limit": limit, "offset": offset,
            "items": [_school_year_row(sy) for sy in qs[offset:offset + limit]]}


def _visible_years(request: HttpRequest, code: str, year: int | None) -> tuple[School, list[SchoolYear]]:
    """The school and its years the user may see (404 when there are none)."""
    user = _user(request)
    check(user, VIEW)
    school = School.objects.filter(code=code).first()
    if school is None:
        raise not_found()
    years = list(school.years.select_related("county").order_by("year"))
    if year is not None:
        years = [sy for sy in years if sy.year == year]
    scope = scope_of(user)
    visible = [sy for sy in years if scope.covers_school(code, sy.county.code)]
    if not visible:
        if years:
            raise _hidden(user, school=(code, years[-1].county.code))
        raise not_found()
    return school, visible


@api.get("/schools/{code}", response={200: SchoolOut, **ERRORS}, tags=["schools"],
         summary="一所学校：各学年的属性与数据 / one school: attributes and values per year")
def get_school(request: HttpRequest, code: str = PathParam(..., pattern=CODE_SCHOOL),
               year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX)) -> Any:
    school, years = _visible_years(request, code, year)
    return {"code": school.code, "name": school.name, "years": [
        {"year": sy.year, "county": sy.county.code, "county_name": sy.county.name,
         "attributes": {a: sy.attribute(a) for a in SchoolYear.ATTRIBUTES}, "values": sy.values}
        for sy in years]}


@api.get("/schools/{code}/statistics", response={200: SchoolStatistics, **ERRORS}, tags=["schools"],
         summary="一所学校一个学年的统计数据 / a school's statistics for a year (default: latest)")
def get_school_statistics(request: HttpRequest, code: str = PathParam(..., pattern=CODE_SCHOOL),
                          year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX)) -> Any:
    school, years = _visible_years(request, code, year)
    sy = years[-1]
    sections = sorted(sy.sections.all(), key=lambda s: SECTION_ORDER.get(s.section, 9))
    return {"code": school.code, "name": sy.name, "year": sy.year, "county": sy.county.code, "values": sy.values,
            "sections": [{"section": s.section, "values": s.values} for s in sections]}


# ---------------------------------------------------------------- assessments


def _verdicts(rows: list[tuple[int, str, str]]) -> dict[int, list[dict[str, str]]]:
    names = dict(OrgUnit.objects.filter(code__in={r[1] for r in rows}).values_list("code", "name"))
    out: dict[int, list[dict[str, str]]] = {}
    for run_id, code, verdict in sorted(rows, key=lambda r: (r[0], r[1])):
        out.setdefault(run_id, []).append({"code": code, "name": names.get(code, code), "verdict": verdict})
    return out


@api.get("/assessments", response={200: RunPage, **ERRORS}, tags=["assessments"],
         summary="可见的冻结评估结果 / frozen assessment runs you can see")
def list_assessments(request: HttpRequest,
                     standard: str | None = Query(None, pattern=STANDARD_ID),
                     year: int | None = Query(None, ge=YEAR_MIN, le=YEAR_MAX),
                     county: str | None = Query(None, pattern=CODE_REGION),
                     limit: int = Query(50, ge=1, le=500),
                     offset: int = Query(0, ge=0, le=10_000_000)) -> Any:
    user = _user(request)
    check(user, VIEW)
    flt = county_filter(user, "county_code")
    if flt is None:
        return {"count": 0, "limit": limit, "offset": offset, "items": []}
    rows = AssessmentCounty.objects.filter(**flt)
    if county:
        rows = rows.filter(county_code=county)
    runs = AssessmentRun.objects.filter(pk__in=rows.values("run_id"))
    if standard:
        runs = runs.filter(standard_id=standard)
    if year is not None:
        runs = runs.filter(year=year)
    runs = runs.defer("document").order_by("-pk")
    page = list(runs[offset:offset + limit])
    verdicts = _verdicts(list(AssessmentCounty.objects.filter(run__in=[r.pk for r in page], **flt)
                              .values_list("run_id", "county_code", "verdict")))
    items = [{"id": r.pk, "standard": r.standard_id, "standard_version": r.standard_version, "overlay": r.overlay,
              "year": r.year, "scope": r.scope, "split_rule": r.split_rule, "created_at": r.created_at,
              "counties": verdicts.get(r.pk, [])} for r in page]
    return {"count": runs.count(), "limit": limit, "offset": offset, "items": items}


@api.get("/assessments/{run_id}", response={200: dict[str, Any], **ERRORS}, tags=["assessments"],
         summary="评估文档（仅含管辖范围内的县）/ the assessment document, your counties only")
def get_assessment(request: HttpRequest, run_id: int = PathParam(..., ge=1, le=MAX_ID)) -> Any:
    user = _user(request)
    check(user, VIEW)
    run = AssessmentRun.objects.filter(pk=run_id).first()
    if run is None:
        raise not_found()
    flt = county_filter(user, "county_code")
    codes = list(run.counties.filter(**flt).values_list("county_code", flat=True)) if flt is not None else []
    if not codes:
        first = run.counties.order_by("county_code").values_list("county_code", flat=True).first()
        raise _hidden(user, region=first) if first else not_found()
    return run.full_document(counties=codes)


@api.post("/assessments", response={201: AssessOut, **ERRORS}, tags=["assessments"],
          summary="计算并冻结一次评估 / run (and freeze) an assessment")
def post_assessment(request: HttpRequest, body: AssessIn) -> Any:
    from dudao.assessment.services import run_assessment
    from dudao.settings import load_settings

    user = _user(request)
    check(user, ASSESS)
    scope = body.scope or (user.org_unit.code if user.org_unit else "")
    if scope in ("", "all"):
        if scope_of(user).prefix != "" or scope_of(user).school_code:
            raise forbidden("请指定您管辖范围内的地市或县级代码", "name a prefecture or county inside your area")
        scope = "all"
    else:
        if not OrgUnit.objects.filter(code=scope).exists():
            raise ApiError(422, "E_ASSESS_SCOPE", f"“{scope}”不是已载入的行政区划代码", f"'{scope}' is not a known region code")
        check(user, ASSESS, region=scope)
    province = body.province if body.province is not None else load_settings().province_overlay
    outcome = run_assessment(body.standard, body.year, scope, split_rule=body.split_rule, province=_overlay(province, 422),
                             actor=user.get_username())
    run = outcome.run
    rows = [(run.pk, c["code"], c["verdict"]) for c in outcome.document["counties"]]
    return Status(201, {"run": run.pk, "standard": run.standard_id, "standard_version": run.standard_version,
                 "year": run.year, "scope": run.scope, "counties": _verdicts(rows).get(run.pk, [])})


# ---------------------------------------------------------------- imports


def _safe_name(raw: str | None) -> str:
    name = Path(str(raw or "").replace("\\", "/")).name
    suffix = Path(name).suffix.lower()
    stem = re.sub(r"[^\w\-（）() ]", "_", Path(name).stem).strip(" ._")[:100] or "upload"
    suffix = re.sub(r"[^a-z0-9.]", "", suffix)[:10]
    return stem + suffix


def _outside_scope(user: Any, path: Path, year: int) -> list[tuple[str, str]]:
    """The (school, county) pairs of the file, or already stored for the year, that the user may not change."""
    from dudao.orgunits.services import province_codes
    from dudao.schools.validate import read_file

    scope = scope_of(user)
    counties = dict(OrgUnit.objects.values_list("code", "level"))
    checked = read_file(path, load_dictionary(), year, counties, province_codes())
    stored = dict(SchoolYear.objects.filter(year=year, school__code__in=list(checked.schools))
                  .values_list("school__code", "county__code"))
    outside = [(code, county) for code, county in stored.items() if not scope.covers_school(code, county)]
    for code, rec in checked.schools.items():
        county = str(rec.values.get("county_code") or "")
        if (county or scope.school_code) and not scope.covers_school(code, county):
            outside.append((code, county))
        elif county and code in stored and stored[code] != county and not (
                scope.covers_region(county) and scope.covers_region(stored[code])):
            outside.append((code, county))  # moving a school between counties needs both counties
    return sorted(set(outside))


UPLOAD = File(..., description="学校数据文件（.xlsx 或 .csv，模板格式）/ school data file (.xlsx or .csv)")


@api.post("/imports", response={200: ImportOut, **ERRORS, 413: ErrorOut}, tags=["imports"],
          summary="导入学校数据文件（.xlsx/.csv）/ import a school data file")
def post_import(request: HttpRequest, year: int = Query(..., ge=YEAR_MIN, le=YEAR_MAX, description="学年 / school year"),
                file: UploadedFile = UPLOAD) -> Any:
    from dudao.schools.services import import_file

    user = _user(request)
    check(user, IMPORT)
    name = _safe_name(file.name)
    with tempfile.TemporaryDirectory(prefix="dudao-api-") as tmp:
        path = Path(tmp) / name
        with path.open("wb") as fh:
            for chunk in file.chunks():
                fh.write(chunk)
        outside = _outside_scope(user, path, year)
        if outside:
            record("denied", "permission", outside[0][0], {"action": IMPORT, "schools": [c for c, _ in outside[:50]]})
            shown = "、".join(code for code, _ in outside[:20]) + ("等" if len(outside) > 20 else "")
            raise ApiError(403, "E_IMPORT_SCOPE", f"文件包含您管辖范围以外的学校：{shown}；未导入任何数据",
                           f"the file holds schools outside your area: {shown.replace('、', ', ')}; nothing was imported",
                           schools=[code for code, _ in outside])
        report = import_file(path, year, user.get_username())
    body = report.as_dict()
    record("import", "schools.ImportBatch", report.batch_id or "", {
        "file": report.file, "year": year, "accepted": report.accepted, "errors": len(report.errors),
        "warnings": len(report.warnings), "counts": report.counts, "via": "api"})
    return body


# ---------------------------------------------------------------- standards (public)


def _overlay(province: str | None, status: int = 404) -> str:
    """A province overlay that exists ('' for none); anything else is an error (404, or 422 in a body)."""
    if not province:
        return ""
    if not re.fullmatch(PROVINCE, province) or not (DATA_DIR / "overlays" / f"{province}.yaml").is_file():
        raise ApiError(status, "E_OVERLAY", f"没有省级覆盖“{province}”", f"no province overlay '{province}'")
    return province


@api.get("/standards", auth=None, response={200: list[StandardSummary], **PUBLIC_ERRORS}, tags=["standards"],
         summary="可用的评估标准（公开）/ available standards (public)")
def list_standards(request: HttpRequest) -> Any:
    out = []
    for sid in available_standards():
        std = load_standard(sid)
        out.append({"id": std.id, "version": std.version, "name_zh": std.name_zh, "name_en": std.name_en,
                    "source": std.source, "confidence": std.confidence})
    return out


@api.get("/standards/{standard_id}", auth=None, response={200: dict[str, Any], **PUBLIC_ERRORS}, tags=["standards"],
         summary="一个标准的全部内容，含来源与可信度（公开）/ a standard with sources and confidence (public)")
def get_standard(request: HttpRequest, standard_id: str = PathParam(..., pattern=STANDARD_ID),
                 province: str | None = Query(None, pattern=PROVINCE, description="省级覆盖 / province overlay")) -> Any:
    if standard_id not in available_standards():
        raise ApiError(404, "E_STANDARD", f"没有标准“{standard_id}”", f"unknown standard '{standard_id}'")
    try:
        std = load_standard(standard_id, _overlay(province))
    except StandardsError as exc:
        raise ApiError(404, "E_STANDARD", str(exc), "the standard cannot be loaded") from None
    return {**std.model_dump(mode="json"), "confidence_labels": CONFIDENCE_ZH}


@api.get("/elements", auth=None, response={200: dict[str, Any], **PUBLIC_ERRORS}, tags=["standards"],
         summary="数据元素字典（公开）/ the element dictionary (public)")
def get_elements(request: HttpRequest) -> Any:
    return {**load_dictionary().model_dump(mode="json"), "confidence_labels": CONFIDENCE_ZH}


# ---------------------------------------------------------------- plain Django views next to the API


@csrf_exempt
def api_root(request: HttpRequest) -> HttpResponse:
    """``/api/``: where the schema and the docs are."""
    if request.method not in ("GET", "HEAD"):
        return JsonResponse(error_body(*METHOD), status=405)
    return JsonResponse({"openapi": reverse("dudao-api:openapi-json"), "docs": reverse("dudao-api:openapi-view"),
                         "version": api.version}, json_dumps_params={"ensure_ascii": False})


@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return JsonResponse(not_found().body(), status=404, json_dumps_params={"ensure_ascii": False})


def json_errors(view: Any) -> Any:
    """Wraps a ninja URL view so that its 405s and stray 404s are JSON too."""
    from functools import wraps

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            response = view(request, *args, **kwargs)
        except Http404:
            return api_not_found(request)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith("application/json"):
            allow = response.get("Allow", "")
            response = JsonResponse(error_body(*METHOD), status=405, json_dumps_params={"ensure_ascii": False})
            if allow:
                response["Allow"] = allow
        return response

    return wrapper


# ---------------------------------------------------------------- routers of the other areas

from dudao.web.api_supervision import router as supervision_router  # noqa: E402

api.add_router("/supervision", supervision_router)
from dudao.web.api_places import router as places_router  # noqa: E402

api.add_router("/places", places_router)
from dudao.web.api_teachers import router as teachers_router  # noqa: E402

api.add_router("/teachers", teachers_router)
from dudao.web.api_quality import router as quality_router  # noqa: E402

api.add_router("/quality", quality_router)

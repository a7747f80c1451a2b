"""The school-places API (django-ninja router under ``/api/places``): a county's projection with its
parameters, backtest, capacity and risks, or a province's/prefecture's counties against their capacity.

Authentication and errors are those of ``dudao.web.api``: a region outside the user's area answers 404 like
a missing one (the refusal is audited); a county without births or enrolment by grade answers 404 with the
places error code (``E_PL_NO_DATA`` / ``E_PL_NO_BIRTHS``).
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Path as PathParam
from ninja import Query, Router

from dudao.accounts.permissions import VIEW, check, scope_of
from dudao.orgunits.models import OrgUnit
from dudao.places.errors import PlacesError
from dudao.places.services import _jsonable, county_plan, province_plan
from dudao.web.api import CODE_REGION, ERRORS, ApiError, _hidden, _user, not_found

router = Router(tags=["places"])


@router.get("/{code}", response={200: dict[str, Any], **ERRORS},
            summary="学位供需预测：县（含学校、学区、小规模学校、参数与回测）或省、地市的各县 / places projection")
def get_places(request: HttpRequest, code: str = PathParam(..., pattern=CODE_REGION),
               horizon: int = Query(10, ge=1, le=10, description="预测年数 / years ahead (1–10)"),
               scenario: Literal["low", "medium", "high"] = Query("medium", description="方案 / scenario")) -> Any:
    user = _user(request)
    check(user, VIEW)
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise not_found()
    if not scope_of(user).covers_region(code):
        raise _hidden(user, region=code)
    if unit.level != OrgUnit.Level.COUNTY:
        return _jsonable(province_plan(code, horizon, scenario))
    try:
        return _jsonable(county_plan(code, horizon, scenario))
    except PlacesError as exc:
        raise ApiError(404, exc.error.code, exc.message_zh, exc.message_en) from None

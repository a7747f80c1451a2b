"""The start page: each user lands on the page of their own org unit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect

from dudao.accounts.models import Role


@login_required
def home(request: Any) -> Any:
    user = request.user
    if user.role == Role.SCHOOL_CLERK and user.school_code:
        return redirect("school", code=user.school_code)
    if user.org_unit is not None:
        return redirect("region", code=user.org_unit.code)
    return redirect("standards")

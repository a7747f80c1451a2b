"""Template context shared by every page: the navigation for the user's role, the version."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext as _

import dudao
from dudao.accounts.models import Role
from dudao.accounts.permissions import ASSESS, AUDIT, IMPORT, can


def common(request: Any) -> dict[str, Any]:
    user = getattr(request, "user", None)
    nav: list[dict[str, Any]] = []
    if user is not None and user.is_authenticated:
        items = [("home", _("总览"), True), ("data", _("数据填报"), can(user, IMPORT)),
                 ("assess", _("评估"), can(user, ASSESS)),
                 ("rounds", _("督导评估"), getattr(user, "role", "") != Role.SCHOOL_CLERK),
                 ("planning", _("目标与安排"), getattr(user, "role", "") != Role.SCHOOL_CLERK),
                 ("places_home", _("学位预测"), getattr(user, "role", "") != Role.SCHOOL_CLERK),
                 ("teachers_home", _("教师"), getattr(user, "role", "") != Role.SCHOOL_CLERK),
                 ("inspection_list", _("评价评分"), True), ("aid_home", _("学生资助"), True),
                 ("standards", _("标准"), True),
                 ("audit", _("审计日志"), can(user, AUDIT))]
        path = request.path
        for name, label, shown in items:
            if shown:
                url = reverse(name)
                nav.append({"url": url, "label": label, "on": path.startswith(url) and (url != "/" or path == "/")})
    return {"nav": nav, "version": dudao.__version__}

"""Login and logout (Django's views, with the lock-out message)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views

from dudao.accounts.auth import is_locked


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form: Any) -> Any:
        response = super().form_invalid(form)
        response.context_data["locked"] = is_locked(form.data.get("username", ""))
        return response

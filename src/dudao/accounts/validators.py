"""Password policy: at least one letter and one digit (length and common passwords: Django's validators)."""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError


class LettersAndDigitsValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if not (re.search(r"[A-Za-z]", password) and re.search(r"\d", password)):
            raise ValidationError("密码须同时包含字母和数字 / the password needs letters and digits",
                                  code="password_letters_digits")

    def get_help_text(self) -> str:
        return "密码须同时包含字母和数字 / letters and digits"

"""The shape shared by every app's error enum: a code, a Chinese message and an English message."""

from enum import Enum


class CodedMessage(Enum):
    """Members are (code, Chinese template, English template); subclass it with the members."""

    def __init__(self, code: str, zh: str, en: str):
        self.code, self.zh, self.en = code, zh, en

    def format(self, **kw: object) -> tuple[str, str]:
        """Both messages, their {names} replaced by the given values."""
        return self.zh.format(**kw), self.en.format(**kw)


class CodedError(Exception):
    """An error raised with one member of a CodedMessage enum; carries the code and both messages."""

    def __init__(self, error: CodedMessage, **kw: object):
        self.error = error
        self.message_zh, self.message_en = error.format(**kw)
        super().__init__(f"{self.message_zh} / {self.message_en}")


class LocatedIssue:
    """Where a problem in an uploaded file is, in both languages; mixed into the issue dataclasses that carry
    ``file``, ``sheet``, ``row``, ``column`` and ``header``."""

    file: str
    sheet: str
    row: int | None
    column: str
    header: str

    def location_zh(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"工作表“{self.sheet}”")
        if self.row:
            parts.append(f"第 {self.row} 行")
        if self.column:
            parts.append(f"{self.column} 列（{self.header}）" if self.header else f"{self.column} 列")
        return " ".join(parts)

    def location_en(self) -> str:
        parts = [self.file]
        if self.sheet:
            parts.append(f"sheet '{self.sheet}'")
        if self.row:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column} ({self.header})" if self.header else f"column {self.column}")
        return ", ".join(parts)

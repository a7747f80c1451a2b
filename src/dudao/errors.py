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

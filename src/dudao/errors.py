"""The shape shared by every app's error enum: a code, a Chinese message and an English message."""

from enum import Enum


class CodedMessage(Enum):
    """Members are (code, Chinese template, English template); subclass it with the members."""

    def __init__(self, code: str, zh: str, en: str):
        self.code, self.zh, self.en = code, zh, en

    def format(self, **kw: object) -> tuple[str, str]:
        """Both messages with their placeholders filled in."""
        return self.zh.format(**kw), self.en.format(**kw)

"""One typed settings object for the whole product (environment variables prefixed DUDAO_)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET_KEY = "dudao-development-only-secret-key-not-for-production"


class InsecureSettingsError(Exception):
    """Raised when production settings are unsafe."""


class DudaoSettings(BaseSettings):
    """Every setting the product reads, with its default and help text."""

    model_config = SettingsConfigDict(env_prefix="DUDAO_", extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development", description="运行环境 / deployment environment"
    )
    debug: bool = Field(False, description="Django 调试模式（仅开发环境）/ Django DEBUG (development only)")
    secret_key: str = Field(DEV_SECRET_KEY, description="Django 密钥 / Django secret key (≥ 50 chars in production)")
    data_dir: Path = Field(Path("var"), description="数据目录 / folder for the SQLite file, uploads and results")
    database_url: str = Field(
        "", description="数据库地址；留空使用 data_dir 下的 SQLite / database URL; empty = SQLite in data_dir"
    )
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1", "localhost"], description="允许的主机名 / allowed host names"
    )
    secure_cookies: bool = Field(False, description="仅通过 HTTPS 发送 Cookie / send cookies over HTTPS only")
    default_actor: str = Field("system", description="命令行操作的记录人 / actor recorded for CLI changes")
    session_idle_minutes: int = Field(30, ge=5, le=600, description="会话空闲超时（分钟）/ session idle timeout, minutes")
    province_overlay: str = Field(
        "", description="省级标准覆盖文件名（如 21 辽宁）/ province overlay to apply to national standards"
    )

    @model_validator(mode="after")
    def _refuse_insecure(self) -> DudaoSettings:
        if self.environment != "production":
            return self
        problems = []
        if self.debug:
            problems.append("DEBUG 不得在生产环境开启 / DEBUG must be off in production")
        if self.secret_key == DEV_SECRET_KEY or len(self.secret_key) < 50:
            problems.append("必须设置至少 50 个字符的 DUDAO_SECRET_KEY / set DUDAO_SECRET_KEY (≥ 50 chars)")
        if not self.secure_cookies:
            problems.append("生产环境必须启用安全 Cookie / DUDAO_SECURE_COOKIES must be true in production")
        if problems:
            raise InsecureSettingsError("; ".join(problems))
        return self

    def resolved_database_url(self) -> str:
        """Returns the database URL, defaulting to a SQLite file in the data folder."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'dudao.sqlite3').resolve()}"


def load_settings() -> DudaoSettings:
    """Reads the settings from the environment."""
    return DudaoSettings()

from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "dudao.audit"
    verbose_name = "审计 / audit trail"

    def ready(self) -> None:
        from dudao.audit import signals  # noqa: F401 - connects the model and login signals

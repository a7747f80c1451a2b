from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "dudao.supervision"
    verbose_name = "督导评估流程 / supervision workflow"

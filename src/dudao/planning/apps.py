from django.apps import AppConfig


class PlanningConfig(AppConfig):
    name = "dudao.planning"
    verbose_name = "目标与评价周期 / targets and evaluation cycles"

from django.apps import AppConfig


class InspectionConfig(AppConfig):
    name = "dudao.inspection"
    verbose_name = "评价与实地核查评分 / inspection and quality evaluation"

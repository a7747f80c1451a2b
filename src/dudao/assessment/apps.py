from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "dudao.assessment"
    verbose_name = "县域评估 / county assessments"

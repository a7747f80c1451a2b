from django.apps import AppConfig


class SchoolsConfig(AppConfig):
    name = "dudao.schools"
    verbose_name = "学校与统计数据 / schools and statistics"

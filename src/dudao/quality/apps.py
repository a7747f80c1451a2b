from django.apps import AppConfig


class QualityConfig(AppConfig):
    name = "dudao.quality"
    verbose_name = "质量评价与增值评价 / quality evaluation and value-added"

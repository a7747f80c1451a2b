from django.apps import AppConfig


class TeachersConfig(AppConfig):
    name = "dudao.teachers"
    label = "teachers"
    verbose_name = "教师"
    default_auto_field = "django.db.models.BigAutoField"

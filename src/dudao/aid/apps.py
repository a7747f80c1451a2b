from django.apps import AppConfig


class AidConfig(AppConfig):
    name = "dudao.aid"
    label = "aid"
    verbose_name = "学生资助"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dudao.web"
    verbose_name = "网页 / web"

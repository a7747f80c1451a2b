from django.apps import AppConfig


class OrgUnitsConfig(AppConfig):
    name = "dudao.orgunits"
    verbose_name = "行政区划 / org units"

from django.apps import AppConfig


class PlacesConfig(AppConfig):
    name = "dudao.places"
    verbose_name = "学位供需预测 / school places"

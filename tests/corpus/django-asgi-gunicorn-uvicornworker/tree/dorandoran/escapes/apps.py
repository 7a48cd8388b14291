from django.apps import AppConfig


class EscapeConfig(AppConfig):
    name = "escapes"

from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and benchmark data. Depends on every other app; nothing depends on it."""

    name = "demo"
    verbose_name = "Demo data"

from django.apps import AppConfig


class SignInConfig(AppConfig):
    name = "config.sign_in"
    label = "sign_in"
    verbose_name = "Signing in"

    def ready(self):
        from config.sign_in import spread  # noqa: F401  (connects the failed sign-in counter)

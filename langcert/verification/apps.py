from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VerificationConfig(AppConfig):
    name = "langcert.verification"
    label = "verification"
    verbose_name = _("Results Verification Service")

    def ready(self):
        from django.contrib.auth.models import update_last_login
        from django.contrib.auth.signals import user_logged_in

        from langcert.verification.signals import remember_previous_login

        # Receivers run in the order they were connected, and Django's own one overwrites
        # `last_login`: ours goes first so it still reads the login before this one.
        had_django_receiver = user_logged_in.disconnect(dispatch_uid="update_last_login")
        user_logged_in.connect(remember_previous_login,
                               dispatch_uid="verification_remember_previous_login")
        if had_django_receiver:
            user_logged_in.connect(update_last_login, dispatch_uid="update_last_login")

"""Password rules beyond Django's own validators."""

from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MinimumDigitsValidator:
    """At least `minimum` digits (the Candidate Results Service asks for 2), so that a
    password of plain words is refused; any other character is allowed."""

    def __init__(self, minimum: int = 2):
        self.minimum = minimum

    def validate(self, password: str, user=None) -> None:
        if sum(character.isdigit() for character in password) < self.minimum:
            raise ValidationError(self.get_help_text(), code="password_too_few_digits")

    def get_help_text(self) -> str:
        return ngettext("Your password must contain at least %(n)d digit.",
                        "Your password must contain at least %(n)d digits.",
                        self.minimum) % {"n": self.minimum}




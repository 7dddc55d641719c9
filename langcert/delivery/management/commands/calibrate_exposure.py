from django.core.management.base import BaseCommand, CommandError

from langcert.catalog.models import Language
from langcert.delivery.exposure import calibrate_live_exposure


class Command(BaseCommand):
    help = ("Compute each served item's exposure control parameter by simulating the "
            "written test, and store it (all skills of one language).")

    def add_arguments(self, parser):
        parser.add_argument("language", help="language code, e.g. fr")
        parser.add_argument("--target", type=float, default=0.25,
                            help="highest share of candidates who may see one item")
        parser.add_argument("--candidates", type=int, default=2000)
        parser.add_argument("--rounds", type=int, default=10)

    def handle(self, *args, language, target, candidates, rounds, **options):
        if not 0 < target <= 1:
            raise CommandError("--target is a share of candidates, between 0 and 1.")
        found = Language.objects.filter(code=language).first()
        if found is None:
            raise CommandError(f"No language {language!r}.")
        try:
            summary = calibrate_live_exposure(actor=None, language=found, target=target,
                                              candidates=candidates, rounds=rounds)
        except LookupError as error:
            raise CommandError(str(error)) from error
        for skill, (before, after) in summary.items():
            self.stdout.write(f"{skill:<12} highest exposure {before:.3f} -> {after:.3f}")

from django.core.management.base import BaseCommand

from langcert.core import crypto
from langcert.delivery.models import Attempt


class Command(BaseCommand):
    help = ("Re-encrypt every stored proctoring photo with the first key of "
            "FILE_ENCRYPTION_KEYS (run after putting a new key first; then drop the old one).")

    def handle(self, *args, **options):
        names = [name for pair in Attempt.objects.values_list("face_photo", "id_photo")
                 for name in pair if name]
        for name in names:
            crypto.rotate(name)
        self.stdout.write(f"{len(names)} files re-encrypted.")

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from langcert.itembank.files import files_from_folder
from langcert.itembank.services import bank_import

SHIPPED = Path(__file__).resolve().parents[2] / "content"


class Command(BaseCommand):
    help = "Import item bank folders (default: the banks shipped with LangCert). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("folders", nargs="*", type=Path)

    def handle(self, *args, folders, **options):
        folders = folders or sorted(p for p in SHIPPED.iterdir() if p.is_dir())
        files: dict[str, bytes] = {}
        for folder in folders:
            files |= {f"{folder.name}/{name}": data
                      for name, data in files_from_folder(folder).items()}
        report = bank_import(actor=None, files=files)
        if not report.ok:
            for error in report.errors[:50]:
                self.stderr.write(f"{error.file} {error.code}: {error.message}")
            raise CommandError(f"{len(report.errors)} problems; nothing was imported.")
        self.stdout.write(f"Item bank: {report.created} created, {report.updated} updated.")

"""PDF documents from Typst templates kept in templates/pdf/.

The data goes to the template as one JSON string in `sys.inputs.data`; templates read it
with `json(bytes(sys.inputs.data))`. Only the fonts embedded in Typst are used, so a
document renders the same on every machine.

Files a template shows (a test-day photo) are personal data: they are written to a fresh
private folder for the one compilation and deleted right after, whatever happens. Such a
template cannot import its siblings (the folder is its root), so a shared style is
prepended in Python instead (`prelude`).
"""

import json
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

PDF_TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "pdf"

# A RAM-backed folder where there is one, so a photo never reaches a disk at all. Shared, but
# mkdtemp makes an unguessable 0700 folder inside it.
_SHM = "/dev/shm"  # noqa: S108
_SCRATCH_DIR = _SHM if os.access(_SHM, os.W_OK) else None

_local = threading.local()


def _compiler() -> typst.Compiler:
    """This thread's compiler. Reusing one keeps the parsed fonts, two thirds of the time of
    a fresh `typst.compile`; it is not shared between threads, nor across a fork."""
    if getattr(_local, "pid", None) != os.getpid():
        _local.compiler = typst.Compiler(ignore_system_fonts=True)
        _local.pid = os.getpid()
    return _local.compiler


@lru_cache(maxsize=32)
def template_source(name: str, prelude: str | None = None) -> bytes:
    """The source of `templates/pdf/<name>.typ`, after `<prelude>.typ` when given."""
    source = (PDF_TEMPLATE_DIR / f"{name}.typ").read_bytes()
    if prelude is None:
        return source
    return (PDF_TEMPLATE_DIR / f"{prelude}.typ").read_bytes() + b"\n" + source


@contextmanager
def _private_root(files: dict[str, bytes]) -> Iterator[str]:
    """A 0700 folder holding `files` (0600), removed on exit."""
    root = tempfile.mkdtemp(prefix="langcert-pdf-", dir=_SCRATCH_DIR)  # mode 0700
    try:
        for name, content in files.items():
            if Path(name).name != name or name.startswith("."):
                raise ValueError(f"not a plain file name: {name!r}")
            handle = os.open(os.path.join(root, name), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                             0o600)
            with os.fdopen(handle, "wb") as out:
                out.write(content)
        yield root
    finally:
        shutil.rmtree(root)  # loudly: a photo silently left behind would be worse


def _compile(template: str, data: dict[str, Any], files: dict[str, bytes] | None,
             prelude: str | None, **options: Any) -> Any:
    source = template_source(template, prelude)
    inputs = {"data": json.dumps(data, default=str)}
    if not files:
        # The usual path: nothing to write, the templates folder is the root.
        return _compiler().compile(source, root=str(PDF_TEMPLATE_DIR), sys_inputs=inputs,
                                   **options)
    with _private_root(files) as root:
        return _compiler().compile(source, root=root, sys_inputs=inputs, **options)


def render_pdf(template: str, data: dict[str, Any], files: dict[str, bytes] | None = None,
               *, prelude: str | None = None) -> bytes:
    """Compile `templates/pdf/<template>.typ` with `data` and return the PDF bytes.

    `files` ({"photo.jpg": bytes}) are readable by the template under those names.
    """
    return _compile(template, data, files, prelude)


def render_png(template: str, data: dict[str, Any], files: dict[str, bytes] | None = None,
               *, prelude: str | None = None, ppi: float = 72) -> bytes:
    """The first page as a PNG image: a preview, and a check that the layout holds."""
    pages = _compile(template, data, files, prelude, format="png", ppi=ppi)
    return pages[0] if isinstance(pages, list) else pages

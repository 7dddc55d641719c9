"""PDF documents from Typst templates kept in templates/pdf/.

The data goes to the template as one JSON string in `sys.inputs.data`; templates read it
with `json(bytes(sys.inputs.data))`. Only the fonts embedded in Typst are used, so a
document renders the same on every machine.
"""

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

import typst
from django.conf import settings

PDF_TEMPLATE_DIR = Path(settings.BASE_DIR) / "templates" / "pdf"


@lru_cache(maxsize=32)
def _template_source(name: str) -> bytes:
    return (PDF_TEMPLATE_DIR / f"{name}.typ").read_bytes()


def render_pdf(template: str, data: dict[str, Any]) -> bytes:
    """Compile `templates/pdf/<template>.typ` with `data` and return the PDF bytes."""
    return typst.compile(
        _template_source(template),
        root=str(PDF_TEMPLATE_DIR),
        sys_inputs={"data": json.dumps(data, default=str)},
        ignore_system_fonts=True,
    )

import io
import re

from pypdf import PdfReader

from langcert.core import identifiers

CODE = re.compile(rf"\b[{identifiers.ALPHABET}]{{4}}-[{identifiers.ALPHABET}]{{4}}\b")


def id_and_secret(text: str) -> tuple[str, str]:
    """The ID Number and Secret Number printed in a confirmation (in that order)."""
    codes = CODE.findall(text)
    return codes[0], codes[1]


def pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)

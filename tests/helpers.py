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


def sign_in_candidate(client, attempt):
    """Open a written-test session for `attempt`, as the sign-in page does."""
    from langcert.delivery.views import SECRET_ISSUED_KEY, SESSION_KEY

    session = client.session
    session[SESSION_KEY] = attempt.pk
    session[SECRET_ISSUED_KEY] = attempt.entry.secret_issued_at.isoformat()
    session.save()
    client.cookies["django_language"] = "en"
    return client

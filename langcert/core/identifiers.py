"""Identifiers that people type: short, unambiguous, drawn from a cryptographic source.

The alphabet leaves out the look-alikes 0/O, 1/I/L and U/V, so what is read from paper is
typed right. 29 symbols carry 4.86 bits each: 8 symbols make 38.9 bits, far from
guessable, and a Secret Number meets the 30-bit floor with room to spare.
"""

import math
import re
import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTWXYZ"
BITS_PER_SYMBOL = math.log2(len(ALPHABET))
ID_NUMBER_LENGTH = 8
SECRET_NUMBER_LENGTH = 8
SESSION_CODE_LENGTH = 6

_SEPARATORS = re.compile(r"[\s\-_.]")


def random_code(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def entropy_bits(length: int) -> float:
    return length * BITS_PER_SYMBOL


def normalise(typed: str) -> str:
    """What a person typed, in canonical form: upper case, without spaces or dashes."""
    return _SEPARATORS.sub("", typed or "").upper()


def is_well_formed(code: str, length: int) -> bool:
    return len(code) == length and all(symbol in ALPHABET for symbol in code)


def display(code: str) -> str:
    """Groups of four for reading aloud and copying: 'ABCD-EFGH'."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


# --- Statement of Results numbers ------------------------------------------------------
# Nine random symbols (43.7 bits) and one check symbol. The check is a weighted sum modulo
# 29; 29 is prime and the weights 1..10 are distinct and non-zero, so every single wrong
# symbol and every swap of two different symbols changes the check: a typo is caught
# before any lookup (and before it counts against the guessing limits).
STATEMENT_BODY_LENGTH = 9
STATEMENT_NUMBER_LENGTH = STATEMENT_BODY_LENGTH + 1


def check_symbol(body: str) -> str:
    """The symbol c that makes sum(weight_i * value_i) + 10 * c = 0 (mod 29)."""
    total = sum((position + 1) * ALPHABET.index(symbol) for position, symbol in enumerate(body))
    inverse_of_check_weight = pow(len(body) + 1, -1, len(ALPHABET))
    return ALPHABET[(-total * inverse_of_check_weight) % len(ALPHABET)]


def new_statement_number() -> str:
    body = random_code(STATEMENT_BODY_LENGTH)
    return body + check_symbol(body)


def is_valid_statement_number(code: str) -> bool:
    """Well formed and with the right check symbol (`code` already normalised)."""
    return is_well_formed(code, STATEMENT_NUMBER_LENGTH) and check_symbol(code[:-1]) == code[-1]

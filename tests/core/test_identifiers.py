import pytest

from langcert.centres.models import Entry
from langcert.centres.selectors import secret_matches
from langcert.centres.services import entry_enrol
from langcert.core import identifiers
from tests.conftest import person
from tests.helpers import id_and_secret

LOOK_ALIKES = set("0O1IL")


def test_alphabet_has_no_look_alikes_and_codes_use_only_it():
    assert not LOOK_ALIKES & set(identifiers.ALPHABET)
    codes = [identifiers.random_code(8) for _ in range(2000)]
    assert all(identifiers.is_well_formed(code, 8) for code in codes)
    assert len(set(codes)) == len(codes)
    # Every symbol shows up: the draw covers the whole alphabet.
    assert set("".join(codes)) == set(identifiers.ALPHABET)


def test_secret_numbers_carry_at_least_30_bits():
    assert identifiers.entropy_bits(identifiers.SECRET_NUMBER_LENGTH) >= 30
    assert identifiers.entropy_bits(identifiers.ID_NUMBER_LENGTH) >= 30


def test_typed_codes_are_normalised():
    assert identifiers.normalise(" abcd-efgh ") == "ABCDEFGH"
    assert identifiers.display("ABCDEFGH") == "ABCD-EFGH"
    assert not identifiers.is_well_formed("ABCD0FGH", 8)


@pytest.mark.django_db
@pytest.mark.real_password_hashing
def test_entries_get_unique_well_formed_numbers_and_a_hashed_secret(
    centre_user, adaptive_session, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entries = [
            entry_enrol(actor=centre_user, session=adaptive_session,
                        data=person(first_name=f"P{i}", id_document_number=f"DOC{i}"))
            for i in range(5)
        ]
    numbers = [e.id_number for e in entries]
    assert len(set(numbers)) == 5
    assert all(identifiers.is_well_formed(n, identifiers.ID_NUMBER_LENGTH) for n in numbers)
    stored = Entry.objects.get(pk=entries[0].pk)
    assert stored.secret_hash.startswith("argon2")
    # The secret is only in the email that was sent; it verifies against the hash.
    id_number, secret = id_and_secret(mailoutbox[0].body)
    assert identifiers.normalise(id_number) == stored.id_number
    assert secret not in stored.secret_hash
    assert secret_matches(stored, secret)
    assert secret_matches(stored, secret.lower().replace("-", " "))
    assert not secret_matches(stored, identifiers.random_code(8))


def test_statement_numbers_catch_every_single_typo_and_swap():
    import itertools

    for _ in range(300):
        number = identifiers.new_statement_number()
        assert identifiers.is_valid_statement_number(number)
        for position, symbol in itertools.product(range(10), identifiers.ALPHABET):
            if symbol != number[position]:
                typo = number[:position] + symbol + number[position + 1:]
                assert not identifiers.is_valid_statement_number(typo)
        for first, second in itertools.combinations(range(10), 2):
            if number[first] != number[second]:
                swapped = list(number)
                swapped[first], swapped[second] = swapped[second], swapped[first]
                assert not identifiers.is_valid_statement_number("".join(swapped))


def test_statement_numbers_are_random_and_well_formed():
    numbers = {identifiers.new_statement_number() for _ in range(2000)}
    assert len(numbers) == 2000
    assert all(identifiers.is_well_formed(n, 10) for n in numbers)
    assert not identifiers.is_valid_statement_number("ABCD")
    assert not identifiers.is_valid_statement_number("0" * 10)

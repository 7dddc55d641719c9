"""CompiledQuery refuses what it cannot compile safely. (That the verification lookup it
runs finds what its queryset finds: tests/verification/test_lookup_speed_paths.py.)"""

from datetime import date

import pytest
from django.db.models import Q

from langcert.centres.models import Candidate
from langcert.core.compiled_query import CompiledQuery

LAST_NAME = Candidate._meta.get_field("last_name")
BIRTH = Candidate._meta.get_field("date_of_birth")


@pytest.mark.django_db
def test_a_value_used_twice_is_refused():
    twice = CompiledQuery(Candidate, lambda name: Candidate.objects.filter(
        Q(last_name=name) | Q(first_name=name)), name=LAST_NAME)
    with pytest.raises(ValueError, match="2 times"):
        twice.first(name="Curie")


@pytest.mark.django_db
def test_a_field_without_a_stand_in_is_refused():
    by_id = CompiledQuery(Candidate, lambda pk: Candidate.objects.filter(pk=pk),
                          pk=Candidate._meta.pk)
    with pytest.raises(TypeError, match="no stand-in"):
        by_id.first(pk=1)


@pytest.mark.django_db
def test_values_are_swapped_in_on_every_run(centre):
    def candidate(last_name, born):
        return Candidate.objects.create(centre=centre, first_name="Marie", last_name=last_name,
                                        date_of_birth=born, gender="F",
                                        id_document_number="X1", time_zone="Europe/Paris")

    curie, bohr = candidate("Curie", date(1990, 12, 10)), candidate("Bohr", date(1985, 10, 7))
    query = CompiledQuery(Candidate, lambda name, born: Candidate.objects.filter(
        last_name=name, date_of_birth=born).order_by(), name=LAST_NAME, born=BIRTH)
    assert query.first(name="Curie", born=curie.date_of_birth) == curie
    assert query.first(name="Bohr", born=date(1985, 10, 7)) == bohr
    assert query.first(name="Bohr", born=curie.date_of_birth) is None
    found = query.first(name="Curie", born=curie.date_of_birth)
    assert found.first_name == "Marie" and found.centre_id == centre.pk

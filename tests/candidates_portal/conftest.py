"""A registered, confirmed candidate whose C1 Advanced result is released, and an
approved organisation with a primary user."""

import pytest
from django.utils import timezone

from langcert.candidates_portal.models import ResultsAccount
from langcert.core.roles import Role
from langcert.verification.models import Organisation, OrganisationMember
from tests.results.conftest import (  # noqa: F401 (shared fixtures)
    adaptive_released_result,
    advanced_result,
    entry_factory,
)


@pytest.fixture
def portal_user(make_user, advanced_result):
    """The candidate of `advanced_result`, registered and confirmed."""
    candidate = advanced_result.entry.candidate
    user = make_user(Role.CANDIDATE, email=candidate.email, first_name=candidate.first_name,
                     last_name=candidate.last_name, time_zone="America/New_York",
                     language="en")
    ResultsAccount.objects.create(user=user, country="FR", first_language="fr",
                                  terms_accepted_at=timezone.now(),
                                  email_confirmed_at=timezone.now())
    candidate.account = user
    candidate.save(update_fields=["account"])
    return user


@pytest.fixture
def portal_client(client, portal_user):
    client.force_login(portal_user)
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def university(make_user):
    organisation = Organisation.objects.create(
        name="University of Testing", kind=Organisation.Kind.UNIVERSITY, country="GB",
        website="https://www.testing.example", status=Organisation.Status.APPROVED)
    OrganisationMember.objects.create(organisation=organisation, is_primary=True,
                                      user=make_user(Role.ORGANISATION, language="en"))
    return organisation

"""Shared fixtures: people of each role, a centre with sessions, a live Celery worker and
a real Chromium."""

import os
from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from langcert.catalog.loading import load_reference_catalogue
from langcert.catalog.models import Exam, JobLevelBand, JobRole, Language
from langcert.centres import services as centre_services
from langcert.centres.models import Centre
from langcert.core import services as core_services
from langcert.core.roles import Role
from tests.helpers import id_and_secret

# Fixtures of the written test (a synthetic bank, a candidate ready to start) for every test.
pytest_plugins = ["tests.delivery.fixtures"]

PASSWORD = "a-Strong-test-pass-42"


TEST_FILE_KEY = "hTqY1Gq5m9oUQv1kq3wO2mJd8N2Qm0b4d6rXcJ4tN9k="


@pytest.fixture(autouse=True)
def file_storage(settings, tmp_path):
    """Each test stores files in its own folder, encrypted with a test key (production
    reads its keys from FILE_ENCRYPTION_KEYS)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_ENCRYPTION_KEYS = [TEST_FILE_KEY]


@pytest.fixture(autouse=True)
def quick_password_hashing(request, settings):
    """Argon2 is slow on purpose and the suite hashes thousands of passwords and secrets.
    Tests marked `real_password_hashing` keep the production hashers."""
    if request.node.get_closest_marker("real_password_hashing") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def reference_catalogue(request):
    """The catalogue the data migration loads, back after a transactional test's flush."""
    if request.node.get_closest_marker("django_db") is None:
        return
    request.getfixturevalue("_django_db_helper")
    if not Exam.objects.exists():
        load_reference_catalogue(Language, Exam, JobLevelBand, JobRole)


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role=Role.CENTRE, **fields):
        n = next(counter)
        fields.setdefault("email", f"{role}{n}@test.example")
        return core_services.user_create(actor=None, role=role, password=PASSWORD, **fields)

    return make


@pytest.fixture
def board_user(make_user):
    return make_user(Role.BOARD, first_name="Bea", last_name="Board")


@pytest.fixture
def centre(db):
    return Centre.objects.create(
        code="FR-TST-01", name="Centre de test", time_zone="Europe/Paris", language="fr"
    )


@pytest.fixture
def other_centre(db):
    return Centre.objects.create(
        code="US-TST-02", name="Other centre", time_zone="America/New_York", language="en"
    )


@pytest.fixture
def centre_user(make_user, centre):
    user = make_user(Role.CENTRE, first_name="Cleo", last_name="Centre")
    centre.staff.add(user)
    return user


@pytest.fixture
def other_centre_user(make_user, other_centre):
    user = make_user(Role.CENTRE, first_name="Oscar", last_name="Other")
    other_centre.staff.add(user)
    return user


def _session(board_user, centre, exam_code, release=None):
    opens = release - timedelta(days=30) if release else timezone.now() + timedelta(days=1)
    return centre_services.session_create(
        actor=board_user,
        exam=Exam.objects.get(code=exam_code),
        centre=centre,
        opens_at=opens,
        closes_at=opens + timedelta(days=7),
        results_release_at=release or opens + timedelta(days=30),
    )


@pytest.fixture
def adaptive_session(board_user, centre):
    return _session(board_user, centre, "adaptive-en")


@pytest.fixture
def advanced_session(board_user, centre):
    return _session(board_user, centre, "c1-advanced")


@pytest.fixture
def other_session(board_user, other_centre):
    return _session(board_user, other_centre, "b2-first")


@pytest.fixture
def session_factory(board_user):
    return lambda centre, exam_code, release=None: _session(board_user, centre, exam_code, release)


@pytest.fixture
def open_session(session_factory, centre):
    session = session_factory(centre, "adaptive-en")
    session.opens_at = timezone.now() - timedelta(hours=1)
    session.save()
    return session


@pytest.fixture
def enrolled(centre_user, open_session, mailoutbox, django_capture_on_commit_callbacks):
    """(entry, secret) of a candidate enrolled in an open adaptive session."""
    with django_capture_on_commit_callbacks(execute=True):
        entry = centre_services.entry_enrol(actor=centre_user, session=open_session, data=person())
    _, secret = id_and_secret(mailoutbox[-1].body)
    return entry, secret


def person(**overrides):
    """Cleaned enrolment data for one person, as EnrolmentForm gives it."""
    data = {
        "first_name": "Ada", "last_name": "Lovelace", "date_of_birth": datetime(1990, 12, 10,
                                                                               tzinfo=UTC).date(),
        "gender": "F", "email": "ada@example.org", "id_document_number": "AB123456",
        "time_zone": "", "language": "", "job": None, "target_level": "B2",
        "photo_consent": True, "photo_exemption": "",
    }
    data.update(overrides)
    return data


def _point_celery_at(app, **conf):
    """Reconfigure the app and drop its cached broker pool and result backend."""
    app.conf.update(**conf)
    # Only drop the references: kombu keeps one pool per broker URL, reused on the way back.
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.fixture
def celery_worker_on_redis(transactional_db):
    """A real Celery worker thread consuming from Redis, tasks not eager."""
    from celery.contrib.testing.worker import start_worker

    from langcert.celery import app

    url = os.environ.get("LANGCERT_TEST_REDIS_URL")
    if not url:
        pytest.fail("LANGCERT_TEST_REDIS_URL is not set: run the suite with `make test`.")
    keys = ("broker_url", "result_backend", "task_always_eager")
    previous = {key: app.conf[key] for key in keys}
    _point_celery_at(app, broker_url=url, result_backend=url, task_always_eager=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            yield app
    finally:
        _point_celery_at(app, **previous)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(executable):
        pytest.fail(f"Chromium not found at {executable}: install Debian's chromium package.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run",
                  # A fake camera and microphone, granted without a prompt.
                  "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                  "--autoplay-policy=no-user-gesture-required"],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/Paris")
    page = context.new_page()
    yield page
    context.close()

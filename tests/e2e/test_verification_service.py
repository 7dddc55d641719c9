"""In Chromium: an organisation applies to the Results Verification Service, board staff
approve it, the applicant sets a password from the email and adds a colleague; a candidate
shares a result, which is bold on Shared Results until opened; Candidate Search finds it by
POST (nothing personal in the URL); the result is downloaded as xlsx and read back."""

import io
import re

import openpyxl
import pytest
from playwright.sync_api import expect

from langcert.candidates_portal import sharing
from langcert.verification import result_data
from langcert.verification.models import Organisation
from tests.candidates_portal.conftest import portal_user  # noqa: F401 (fixture)
from tests.conftest import PASSWORD
from tests.e2e.test_centre_enrolment import live_server_artifact
from tests.results.conftest import advanced_result, entry_factory  # noqa: F401 (fixtures)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

APPLICANT = "grace@admissions.uni.example"
COLLEAGUE = "alan@admissions.uni.example"
NEW_PASSWORD = "Harbour lights 2026"
BIRTH = "1990-12-10"  # tests.conftest.person(), the candidate of advanced_result
SET_PASSWORD_LINK = re.compile(r"https?://[^/\s]+(/password-reset/\S+/\S+/)")
NEW = re.compile(r"(^|\s)new(\s|$)")


@pytest.fixture
def patient_expect():
    """The machine is shared and slow: wait up to 15 s for what the page should show."""
    expect.set_options(timeout=15_000)
    yield
    expect.set_options(timeout=None)


def english_page(browser, live_server):
    context = browser.new_context(locale="en-GB", timezone_id="Europe/London",
                                  accept_downloads=True)
    context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def mail_to(mailoutbox, address):
    return [message for message in mailoutbox if address in message.to]


def sign_in(page, email, password):
    """Fill in and send the sign-in form of the page the browser is on."""
    page.get_by_label("Email address or ID Number").fill(email)
    page.get_by_label(re.compile("^Password")).fill(password)
    page.get_by_role("button", name="Sign in").click()


def font_weight(locator) -> int:
    return int(locator.evaluate("element => getComputedStyle(element).fontWeight"))


def test_apply_approve_add_a_user_see_search_and_download(
        live_server, browser, board_user, advanced_result, portal_user, mailoutbox,
        patient_expect):
    candidate = advanced_result.entry.candidate
    page = english_page(browser, live_server)

    # 1. The applicant fills in the guide's form.
    page.goto(f"{live_server.url}/organisations/apply/")
    form = page.locator("#apply-form")
    form.get_by_label("First name").fill("Grace")
    form.get_by_label("Last name").fill("Hopper")
    form.get_by_label("Job title").fill("Head of admissions")
    form.get_by_label(re.compile("^Email address")).fill(APPLICANT)
    form.get_by_label("Confirm email address").fill(APPLICANT)
    form.get_by_label("Organisation name").fill("Uni of Examples")
    form.get_by_label("Type of organisation").select_option("university")
    form.get_by_label("Website").fill("https://www.uni.example")
    form.get_by_label("Street address").fill("1 Quay Street")
    form.get_by_label("City").fill("Bristol")
    form.get_by_label("Postcode").fill("BS1 4AA")
    form.get_by_label("Country").select_option("GB")
    form.get_by_label("I accept the terms of use").check()
    form.get_by_role("button", name="Send my application").click()
    expect(page.locator("#sent")).to_contain_text("Application received")
    expect(page.locator("#sent")).to_contain_text(APPLICANT)
    [acknowledgement] = mail_to(mailoutbox, APPLICANT)
    assert "We received the application of Uni of Examples" in acknowledgement.subject
    organisation = Organisation.objects.get(name="Uni of Examples")
    assert organisation.status == Organisation.Status.PENDING

    # 2. Board staff sign in, open the queue and approve the application.
    board = english_page(browser, live_server)
    board.goto(f"{live_server.url}/login/")
    sign_in(board, board_user.email, PASSWORD)
    board.get_by_role("link", name=re.compile("^Organisations")).click()
    expect(board.get_by_role("heading", name="Organisations: applications")).to_be_visible()
    application = board.locator("#pending tbody tr", has_text="Uni of Examples")
    application.get_by_role("link", name="Review").click()
    expect(board.get_by_role("heading", name="Uni of Examples")).to_be_visible()
    expect(board.locator("#status")).to_have_text("Pending approval")
    board.get_by_role("button", name="Approve", exact=True).click()
    expect(board.locator(".message.success")).to_contain_text("is approved")
    expect(board.locator("#status")).to_have_text("Approved")
    board.context.close()
    organisation.refresh_from_db()
    assert organisation.status == Organisation.Status.APPROVED

    # 3. The approval email's link: set the password, then sign in.
    approval = mail_to(mailoutbox, APPLICANT)[-1]
    assert "is approved" in approval.subject
    page.goto(live_server.url + SET_PASSWORD_LINK.search(approval.body).group(1))
    page.get_by_label(re.compile(r"^New password( \*)?$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the password").click()
    expect(page.get_by_role("heading", name="Password changed")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    sign_in(page, APPLICANT, NEW_PASSWORD)
    expect(page.locator("#greeting")).to_have_text("Hi Grace")
    expect(page.locator("#shared-results")).to_contain_text("No candidate has shared")

    # 4. The primary user adds a colleague, who is emailed a link to set a password.
    page.get_by_role("link", name="Your Organisation").click()
    page.get_by_role("link", name="Users", exact=True).click()
    add = page.locator("#add-user")
    add.get_by_label("First name").fill("Alan")
    add.get_by_label("Last name").fill("Turing")
    add.get_by_label("Job title").fill("Registrar")
    add.get_by_label("Email address").fill(COLLEAGUE)
    add.get_by_role("button", name="Add the user").click()
    expect(page.locator(".message.success")).to_contain_text("The user is added")
    colleague_row = page.locator("#members tbody tr", has_text=COLLEAGUE)
    expect(colleague_row).to_contain_text("Alan Turing")
    expect(colleague_row).to_contain_text("Password not set yet")
    [invitation] = mail_to(mailoutbox, COLLEAGUE)
    assert SET_PASSWORD_LINK.search(invitation.body)

    # 5. The candidate shares a released result: it is new, in bold, until opened.
    [share] = sharing.share_result(actor=portal_user, result=advanced_result,
                                   organisations=[organisation])
    page.get_by_role("link", name="Shared Results").click()
    expect(page.locator("#greeting")).to_have_text("Hi Grace")
    expect(page.locator("#new-count")).to_contain_text("1 new candidate has shared")
    row = page.locator(f"#share-{share.pk}")
    expect(row).to_contain_text(f"{candidate.last_name} {candidate.first_name}")
    expect(row).to_contain_text(advanced_result.statement_number_display)
    expect(row).to_contain_text("196 / C1")
    expect(row).to_have_class(NEW)
    number_cell = row.locator("td.code")
    assert font_weight(number_cell) >= 600
    page.screenshot(path=str(live_server_artifact("verification-shared-results.png")),
                    full_page=True)

    row.get_by_role("link", name="View").click()
    expect(page.locator("#candidate-name")).to_contain_text(candidate.last_name)
    page.get_by_role("link", name="Shared Results").click()
    expect(row).to_be_visible()
    expect(row).not_to_have_class(NEW)
    assert font_weight(number_cell) < 600
    share.refresh_from_db()
    assert share.first_opened_at is not None

    # 6. Candidate Search: by POST, with nothing personal in the URL.
    page.get_by_role("link", name="Candidate Search").click()
    search = page.locator("#search-form")
    search.get_by_label("Statement of Results number").fill(
        advanced_result.statement_number_display)
    search.get_by_label("Date of birth").fill(BIRTH)
    with page.expect_response(lambda r: r.request.method == "POST"
                              and r.url.endswith("/organisation/search/")) as answer:
        search.get_by_role("button", name="Search").click()
    assert answer.value.status == 200
    expect(page.locator("#candidate-name")).to_contain_text(
        f"{candidate.last_name} {candidate.first_name}")
    expect(page.locator("#overall")).to_contain_text("Overall score 196")
    expect(page.locator("#statement-number")).to_contain_text(
        advanced_result.statement_number_display)
    assert page.url == f"{live_server.url}/organisation/search/"
    for personal in (advanced_result.statement_number, advanced_result.statement_number_display,
                     BIRTH, "1990"):
        assert personal not in page.url

    # 7. Download Options: the selected row as xlsx, prepared in the background.
    page.get_by_role("link", name="Shared Results").click()
    row.get_by_role("checkbox").check()
    options = page.locator("#download-options")
    options.get_by_label("Results", exact=True).select_option("selected")
    options.get_by_label("File", exact=True).select_option("xlsx")
    options.get_by_role("button", name="Download").click()
    expect(page).to_have_url(re.compile(r"/organisation/downloads/[0-9a-f-]{36}/$"))
    link = page.locator("#download-link")
    expect(link).to_be_visible()  # at once, or when the progress bar reloads the page
    expect(page.locator("#download-status")).to_have_text("Ready")
    with page.expect_download() as fetched:
        link.click()
    assert fetched.value.suggested_filename.endswith(".xlsx")
    with open(fetched.value.path(), "rb") as file:
        sheet = openpyxl.load_workbook(io.BytesIO(file.read())).active
    header, *rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert header == [result_data.field_label(c, "en") for c in result_data.DEFAULT_COLUMNS]
    assert len(rows) == 1
    cells = dict(zip(result_data.DEFAULT_COLUMNS, rows[0], strict=True))
    assert cells["statement_number"] == advanced_result.statement_number_display
    assert cells["last_name"] == candidate.last_name
    assert cells["overall_score"] == 196
    page.context.close()

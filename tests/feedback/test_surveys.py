"""Survey exports uploaded as CSV: score and comment per row, whatever the tool calls its columns."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import SourceFactory, UserFactory
from voc.core.roles import CUSTOMER_SUCCESS, PRODUCT
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.surveys import SurveyFileError, survey_csv_import

pytestmark = pytest.mark.django_db

EXPORT = (
    "Response ID,Submitted At,Email Address,How likely are you to recommend us?,Why?\r\n"
    "r1,2026-11-20T10:00:00Z,lena@pebble.example,3,\"Fees are too high, \"\"really\"\"\"\r\n"
    "r2,2026-11-20T11:00:00Z,happy@acme.example,10,\r\n"
    "r3,2026-11-21T09:30:00Z,,7,Die App stürzt ab <script>alert(1)</script>\r\n"
    "r4,2026-11-21T09:31:00Z,x@acme.example,eleven,Score is not a number\r\n"
    "\r\n"
).encode()


@pytest.fixture
def survey():
    return SourceFactory(name="Q4 NPS", kind=Source.Kind.SURVEY)


def test_each_row_becomes_survey_feedback_with_its_score(survey):
    result = survey_csv_import(source=survey, data=EXPORT)
    assert (result.rows, result.created, result.skipped) == (4, 2, 1)
    assert result.rejected[0][0] == 5
    assert "nps_score" in result.rejected[0][1]
    fees = FeedbackItem.objects.get(external_id="r1")
    assert (fees.kind, fees.nps_score, fees.text, fees.author_email) == (
        "survey", 3, 'Fees are too high, "really"', "lena@pebble.example")
    assert FeedbackItem.objects.get(external_id="r3").text == "Die App stürzt ab <script>alert(1)</script>"


def test_uploading_the_same_export_again_doubles_nothing(survey):
    survey_csv_import(source=survey, data=EXPORT)
    again = survey_csv_import(source=survey, data=EXPORT)
    assert (again.created, again.duplicate) == (0, 2)
    assert FeedbackItem.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [("Naïve,score\r\n".encode("latin-1"), "not UTF-8"), (b"score,email\r\n9,a@b.example\r\n", "no comment column")],
)
def test_a_file_that_cannot_be_read_imports_nothing_and_says_why(survey, data, message):
    with pytest.raises(SurveyFileError, match=message):
        survey_csv_import(source=survey, data=data)
    assert not FeedbackItem.objects.exists()


def test_customer_success_uploads_an_export_from_the_source_page(client, survey):
    client.force_login(UserFactory(roles=[CUSTOMER_SUCCESS]))
    url = f"/admin/feedback/source/{survey.pk}/upload-survey/"
    assert "Upload a survey CSV" in client.get(f"/admin/feedback/source/{survey.pk}/change/").content.decode()
    page = client.post(url, {"file": SimpleUploadedFile("nps.csv", EXPORT, content_type="text/csv")}).content.decode()
    assert "4 rows: 2 new, 0 already here, 1 without a comment, 1 rejected." in page
    assert "nps_score" in page


def test_product_may_not_upload_feedback(client, survey):
    client.force_login(UserFactory(roles=[PRODUCT]))
    assert client.get(f"/admin/feedback/source/{survey.pk}/upload-survey/").status_code == 403

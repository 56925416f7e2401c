"""Survey CSV uploads: any file is imported row by row, or refused as a whole with SurveyFileError; a bad row
never stops the rest, and a good row is always taken."""

import csv
import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import SourceFactory
from tests.fuzz.strategies import texts
from voc.feedback.models import FeedbackItem, Source
from voc.feedback.surveys import COLUMNS, SurveyFileError, survey_csv_import

GOOD = {"external_id": "fuzz-good", "text": "Fees are too high for transfers abroad", "nps_score": "3"}
# Column names as tools write them: any known alias, in any case, with spaces, dashes or a question mark.
header_names = st.one_of(
    st.sampled_from([alias for aliases in COLUMNS.values() for alias in aliases]).flatmap(
        lambda alias: st.sampled_from([alias, alias.upper(), alias.replace("_", " ").title(),
                                       alias.replace("_", "-"), f" {alias}? "])
    ),
    texts(surrogates=False, huge=False),
)


# What may stand between the rows and the good one, by name (so a failure prints the name, not 140 kB of x).
JUNK = {
    "nothing": "",
    "a quote inside a cell": 'a,b"c\n',
    "a NUL": "\x00\n",
    "empty cells": ",,,\n",
    "an unclosed quote": '"x',
    "an unclosed quote past the csv module's field limit": '"' + "x" * 140_000,
}


@pytest.fixture(autouse=True)
def stdlib_csv_field_limit():
    """The csv module's default field limit, as a worker has it before any file import raised it (process-wide)."""
    previous = csv.field_size_limit(131_072)
    yield
    csv.field_size_limit(previous)


@pytest.fixture
def survey(db):
    return SourceFactory(name="fuzz survey", kind=Source.Kind.SURVEY)


def imported_or_refused(survey, data: bytes):
    """The import's summary, or None when the file was refused as a whole, with a reason."""
    try:
        return survey_csv_import(source=survey, data=data)
    except SurveyFileError as error:
        refusal = str(error)
    assert refusal.strip()
    return None


@given(
    head=st.sampled_from([b"", b"Response ID,Comment,NPS\r\n", b"\xef\xbb\xbfcomment\n", b'"why",score\n']),
    body=st.binary(max_size=300) | texts(surrogates=False).map(str.encode),
)
def test_any_bytes_are_imported_or_refused_as_a_whole(survey, head, body):
    result = imported_or_refused(survey, head + body)

    if result is not None:
        assert result.rows == result.created + result.duplicate + result.skipped + len(result.rejected)


@given(data=st.data(), header=st.lists(header_names, min_size=1, max_size=6))
def test_a_good_row_is_taken_whatever_the_rows_before_it_hold(survey, data, header):
    FeedbackItem.objects.filter(source=survey).delete()  # left by the previous example
    names = list(dict.fromkeys(["response id", "comment", "nps", *header]))
    rows = data.draw(st.lists(st.lists(texts(surrogates=False), min_size=len(names), max_size=len(names)),
                              max_size=4))
    # Broken quoting, or stray bytes, after those rows; then the good row on a line of its own.
    junk = JUNK[data.draw(st.sampled_from(sorted(JUNK)), label="junk")]
    good = {"response id": GOOD["external_id"], "comment": GOOD["text"], "nps": GOOD["nps_score"]}
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerows([names, *rows])
    out.write(junk + "\r\n" if junk else "")
    writer.writerow([good.get(name, "") for name in names])

    result = imported_or_refused(survey, out.getvalue().encode())

    assert result is not None
    assert result.rows == result.created + result.duplicate + result.skipped + len(result.rejected)
    if not junk.startswith('"'):  # an unclosed quote takes the rest of the file into one field
        assert FeedbackItem.objects.filter(source=survey, external_id=GOOD["external_id"]).exists()
    assert all(line >= 2 and reason.strip() for line, reason in result.rejected)

import csv

import pytest

from ingest.files import RejectFileError, RejectWriter


def test_it_writes_no_file_until_the_first_reject(tmp_path):
    source = tmp_path / "in.csv"
    with RejectWriter.for_import(path=source) as rejects:
        assert not rejects.written
    assert not (tmp_path / "in.csv.rejects.csv").exists()


def test_it_writes_line_reason_and_raw_row(tmp_path):
    with RejectWriter.for_import(path=tmp_path / "in.csv") as rejects:
        rejects.write(3, "text: is empty", '3,"",x\n')
    with open(tmp_path / "in.csv.rejects.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["line", "reason", "raw"], ["3", "text: is empty", '3,"",x']]


def test_it_refuses_to_overwrite_the_file_being_imported(tmp_path):
    with pytest.raises(RejectFileError, match="would overwrite the file being imported"):
        RejectWriter.for_import(path=tmp_path / "in.csv", reject_path=tmp_path / "in.csv")


def test_it_refuses_a_folder_that_does_not_exist(tmp_path):
    with pytest.raises(RejectFileError, match="does not exist"):
        RejectWriter.for_import(path=tmp_path / "in.csv", reject_path=tmp_path / "nope" / "r.csv")

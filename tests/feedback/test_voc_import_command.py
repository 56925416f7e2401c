import csv
import os
import subprocess
import sys
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.conftest import PROJECT_ROOT
from voc.feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db

FEEDBACK_CSV = (
    "external_id,text,author_email\n"
    "T-1,Card never arrived,jane@acme.example\n"
    "T-2,<script>alert(1)</script>,bob@beta.example\n"
    "T-3,,carol@gamma.example\n"
)


def write(tmp_path, name: str, content: str | bytes):
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("voc_import", *[str(arg) for arg in args], stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_it_imports_a_file_into_an_import_source_and_prints_the_counts(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    out, _ = run(path, "--source", "legacy-helpdesk", "--kind", "ticket")
    assert "3 rows read" in out
    assert "created:   2" in out
    assert "duplicate: 0" in out
    assert f"rejected:  1, see {path}.rejects.csv" in out
    source = Source.objects.get(name="legacy-helpdesk")
    assert source.kind == Source.Kind.IMPORT
    assert FeedbackItem.objects.get(source=source, external_id="T-2").text == "<script>alert(1)</script>"


def test_importing_the_same_file_twice_creates_nothing_new(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    run(path, "--source", "legacy", "--kind", "ticket")
    out, _ = run(path, "--source", "legacy", "--kind", "ticket")
    assert "created:   0" in out
    assert "duplicate: 2" in out
    assert FeedbackItem.objects.count() == 2


def test_the_reject_file_has_the_line_number_reason_and_row(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    run(path, "--source", "legacy", "--kind", "ticket", "--rejects", tmp_path / "bad.csv")
    with open(tmp_path / "bad.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [
            ["line", "reason", "raw"],
            ["4", "text: is required", "T-3,,carol@gamma.example"],
        ]
    assert not (tmp_path / "feedback.csv.rejects.csv").exists()


def test_no_reject_file_is_written_without_rejects(tmp_path):
    path = write(tmp_path, "feedback.jsonl", '{"text": "fine", "kind": "survey"}\n')
    out, _ = run(path, "--source", "nps")
    assert "rejected:  0" in out
    assert not (tmp_path / "feedback.jsonl.rejects.csv").exists()


def test_the_format_can_be_given_when_the_extension_does_not_say(tmp_path):
    path = write(tmp_path, "export.txt", '{"external_id": "J-1", "text": "from jsonl"}\n')
    run(path, "--source", "legacy", "--kind", "manual", "--format", "jsonl")
    assert FeedbackItem.objects.get(external_id="J-1").kind == "manual"


def test_it_shows_a_progress_bar_on_stderr(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    out, err = run(path, "--source", "legacy", "--kind", "ticket")
    assert "3/3" in err
    assert "rows" in err
    assert "3/3" not in out


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file: .*missing.csv"):
        run(tmp_path / "missing.csv", "--source", "legacy")


def test_an_unknown_extension_is_a_command_error(tmp_path):
    path = write(tmp_path, "feedback.xlsx", "")
    with pytest.raises(CommandError, match=r"Cannot tell the format of feedback.xlsx from its extension \.xlsx"):
        run(path, "--source", "legacy")


def test_an_unknown_column_is_a_command_error_and_nothing_is_written(tmp_path):
    path = write(tmp_path, "feedback.csv", "text,customer_tier\nhello,gold\n")
    with pytest.raises(CommandError) as raised:
        run(path, "--source", "legacy", "--kind", "ticket")
    assert "Unknown column(s) in the header: 'customer_tier'" in str(raised.value)
    assert "Known columns: account_crm_id" in str(raised.value)
    assert not Source.objects.filter(name="legacy").exists()
    assert not FeedbackItem.objects.exists()


def test_an_unknown_kind_is_a_command_error(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    with pytest.raises(CommandError, match="Unknown kind 'complaint'; use one of: ticket, survey"):
        run(path, "--source", "legacy", "--kind", "complaint")


def test_a_batch_size_below_one_is_a_command_error(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    with pytest.raises(CommandError, match="--batch-size must be between 1 and"):
        run(path, "--source", "legacy", "--batch-size", "0")


def test_from_the_shell_a_missing_file_exits_with_status_1(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'shell.sqlite3'}"}
    env.pop("REDIS_URL", None)
    completed = subprocess.run(
        [sys.executable, "manage.py", "voc_import", str(tmp_path / "missing.csv"), "--source", "legacy"],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 1
    assert "CommandError: No such file" in completed.stderr


def test_a_reject_folder_that_does_not_exist_is_a_command_error_before_anything_is_written(tmp_path):
    path = write(tmp_path, "feedback.csv", FEEDBACK_CSV)
    with pytest.raises(CommandError, match="does not exist"):
        run(path, "--source", "legacy", "--rejects", tmp_path / "nope" / "rejects.csv")
    assert not Source.objects.filter(name="legacy").exists()

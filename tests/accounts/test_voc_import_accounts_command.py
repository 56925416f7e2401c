import csv
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.factories import FeedbackItemFactory, SourceFactory
from voc.accounts.models import Account
from voc.feedback.models import FeedbackItem

pytestmark = pytest.mark.django_db

CRM_CSV = (
    "crm_id,name,domains,arr,plan_tier,contact_name,contact_email,twitter_handle\n"
    "C-1,Acme,acme.example,120000,enterprise,Jane,jane@gmail.com,\n"
    "C-1,,,,,Sam,,@sam_acme\n"
    "C-2,Solo,gmail.com,0,free,,,\n"
)


def write(tmp_path, content: str, name: str = "crm.csv"):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


def run(*args) -> tuple[str, str]:
    stdout, stderr = StringIO(), StringIO()
    call_command("voc_import_accounts", *[str(arg) for arg in args], stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_it_imports_accounts_and_contacts_and_prints_the_counts(tmp_path):
    path = write(tmp_path, CRM_CSV)
    out, err = run(path)
    assert "3 rows read" in out
    assert "accounts:  1 created, 0 updated" in out
    assert "contacts:  2 created, 0 updated" in out
    assert "domains:   1 added" in out
    assert f"rejected:  1, see {path}.rejects.csv" in out
    assert "3/3" in err
    account = Account.objects.get(crm_id="C-1")
    assert sorted(str(contact) for contact in account.contacts.all()) == ["Jane", "Sam"]


def test_a_public_domain_row_goes_to_the_reject_file_with_its_line(tmp_path):
    path = write(tmp_path, CRM_CSV)
    run(path, "--rejects", tmp_path / "rejects.csv")
    reason = "domains: gmail.com is a public email provider, not a company domain"
    with open(tmp_path / "rejects.csv", newline="", encoding="utf-8") as handle:
        assert list(csv.reader(handle)) == [["line", "reason", "raw"], ["4", reason, "C-2,Solo,gmail.com,0,free,,,"]]


def test_running_it_again_updates_rather_than_doubles(tmp_path):
    path = write(tmp_path, CRM_CSV)
    run(path)
    out, _ = run(path)
    assert "accounts:  0 created, 1 updated" in out
    assert "contacts:  0 created, 2 updated" in out
    assert Account.objects.count() == 1


def test_it_re_resolves_feedback_that_came_in_before_the_accounts(tmp_path):
    source = SourceFactory(name="tickets")
    by_domain = FeedbackItemFactory(source=source, author_email="cfo@acme.example")
    by_contact = FeedbackItemFactory(source=source, author_email="jane@gmail.com")
    by_handle = FeedbackItemFactory(source=source, author_handle="@Sam_Acme")
    stranger = FeedbackItemFactory(source=source, author_email="who@else.example")

    out, _ = run(write(tmp_path, CRM_CSV))

    assert "Re-resolution: 3 unresolved feedback items are now tied to an account." in out
    account = Account.objects.get(crm_id="C-1")
    resolved = {item.pk: (item.account, item.resolved_by) for item in FeedbackItem.objects.all()}
    assert resolved[by_domain.pk] == (account, "email_domain")
    assert resolved[by_contact.pk] == (account, "contact_email")
    assert resolved[by_handle.pk] == (account, "social_handle")
    assert resolved[stranger.pk] == (None, "")


def test_a_missing_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file: .*crm.csv"):
        run(tmp_path / "crm.csv")


def test_an_unknown_column_is_a_command_error_and_nothing_is_written(tmp_path):
    path = write(tmp_path, "crm_id,name,mrr\nC-1,Acme,10\n")
    with pytest.raises(CommandError, match="Unknown column.*'mrr'"):
        run(path)
    assert not Account.objects.exists()


@pytest.mark.services
def test_with_a_worker_the_re_resolution_runs_there(tmp_path, celery_worker, wait_for):
    item = FeedbackItemFactory(author_email="cfo@acme.example")
    out, _ = run(write(tmp_path, CRM_CSV))
    assert "Re-resolution of unresolved feedback is queued" in out
    resolved = FeedbackItem.objects.filter(pk=item.pk, account__crm_id="C-1")
    wait_for(lambda: resolved.exists(), timeout=30, what="re-resolution by the worker")

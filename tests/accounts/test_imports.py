import csv
from decimal import Decimal

import pytest

from ingest.files import FileFormatError
from tests.factories import AccountDomainFactory, AccountFactory, ContactFactory, UserFactory
from voc.accounts.imports import accounts_import_csv
from voc.accounts.models import Account, AccountDomain, Contact

pytestmark = pytest.mark.django_db

HEADER = (
    "crm_id,name,domains,arr,currency,plan_tier,segment,region,lifecycle_stage,owner_email,"
    "contact_name,contact_email,twitter_handle,reddit_handle\n"
)


def write(tmp_path, *rows: str, header: str = HEADER, name: str = "crm.csv"):
    path = tmp_path / name
    path.write_text(header + "".join(row + "\n" for row in rows), encoding="utf-8")
    return path


def rejects_of(summary) -> list[list[str]]:
    with open(summary.reject_path, newline="", encoding="utf-8") as handle:
        return [row[:2] for row in list(csv.reader(handle))[1:]]


def test_it_creates_accounts_with_their_crm_fields(tmp_path):
    owner = UserFactory(email="owner@voc.example")
    path = write(
        tmp_path,
        'C-1,Acme Corp,acme.com; acme.io,"120,000.50",eur,Enterprise,Mid-market,EMEA,Churn risk,OWNER@voc.example'
        ",,,,",
    )
    summary = accounts_import_csv(path=path)
    account = Account.objects.get(crm_id="C-1")
    assert (summary.accounts_created, summary.domains_added, summary.rejected) == (1, 2, 0)
    assert (account.name, account.arr, account.arr_currency) == ("Acme Corp", Decimal("120000.50"), "EUR")
    assert (account.plan_tier, account.segment, account.region) == ("enterprise", "mid_market", "EMEA")
    assert (account.lifecycle_stage, account.owner) == ("churn_risk", owner)
    assert account.email_domains == ["acme.com", "acme.io"]


def test_an_empty_arr_is_unknown_and_zero_is_zero(tmp_path):
    path = write(tmp_path, "C-1,Unknown ARR,,,,,,,,,,,,", "C-2,Free,,0,,,,,,,,,,")
    accounts_import_csv(path=path)
    assert Account.objects.get(crm_id="C-1").arr is None
    assert Account.objects.get(crm_id="C-2").arr == Decimal("0")


def test_a_second_import_updates_by_crm_id_without_doubling(tmp_path):
    accounts_import_csv(path=write(tmp_path, "C-1,Acme,acme.com,1000,,growth,,,,,,,,"))
    summary = accounts_import_csv(path=write(tmp_path, "C-1,Acme Inc,acme.com,2000,,,,,,,,,,", name="2.csv"))
    account = Account.objects.get()
    assert (summary.accounts_created, summary.accounts_updated, summary.domains_added) == (0, 1, 0)
    assert (account.name, account.arr, account.plan_tier) == ("Acme Inc", Decimal("2000.00"), "growth")


def test_without_a_crm_id_it_upserts_by_exact_name(tmp_path):
    existing = AccountFactory(name="Beta Ltd", arr=Decimal("10"))
    path = write(tmp_path, "crm_id,name,arr\n,Beta Ltd,20\n,beta ltd,30", header="")
    summary = accounts_import_csv(path=path)
    existing.refresh_from_db()
    assert (summary.accounts_created, summary.accounts_updated) == (1, 1)
    assert existing.arr == Decimal("20.00")
    assert Account.objects.get(name="beta ltd").arr == Decimal("30.00")


def test_a_new_crm_id_adopts_the_one_account_of_that_name_typed_in_by_hand(tmp_path):
    by_hand = AccountFactory(name="Gamma", crm_id=None)
    accounts_import_csv(path=write(tmp_path, "C-9,Gamma,,,,,,,,,,,,"))
    by_hand.refresh_from_db()
    assert by_hand.crm_id == "C-9"
    assert Account.objects.count() == 1


def test_rows_with_the_same_crm_id_add_contacts_to_one_account(tmp_path):
    path = write(
        tmp_path,
        "C-1,Acme,acme.com,,,,,,,,Jane,jane@acme.com,@JaneAcme,",
        "C-1,,,,,,,,,,Bob,Bob@Acme.com,,u/bob_acme",
        "C-1,,,,,,,,,,,,,",
    )
    summary = accounts_import_csv(path=path)
    account = Account.objects.get()
    assert (summary.accounts_created, summary.contacts_created, summary.rejected) == (1, 2, 0)
    assert sorted(account.contacts.values_list("email", "twitter_handle", "reddit_handle")) == [
        ("bob@acme.com", None, "bob_acme"),
        ("jane@acme.com", "janeacme", None),
    ]


def test_contacts_are_upserted_by_email(tmp_path):
    contact = ContactFactory(email="jane@acme.com", name="J.")
    summary = accounts_import_csv(path=write(tmp_path, "C-1,Acme,,,,,,,,,Jane Doe,JANE@acme.com,,"))
    contact.refresh_from_db()
    assert (summary.contacts_created, summary.contacts_updated) == (0, 1)
    assert (contact.name, contact.account.crm_id) == ("Jane Doe", "C-1")
    assert Contact.objects.count() == 1


def test_a_contact_first_seen_by_handle_gets_the_email(tmp_path):
    contact = ContactFactory(email=None, reddit_handle="jane_r", account=None)
    accounts_import_csv(path=write(tmp_path, "C-1,Acme,,,,,,,,,,jane@acme.com,,u/jane_r"))
    contact.refresh_from_db()
    assert (contact.email, contact.account.crm_id) == ("jane@acme.com", "C-1")


def test_a_public_email_domain_is_rejected_for_that_row_and_the_rest_imports(tmp_path):
    path = write(tmp_path, "C-1,Solo Dev,gmail.com,,,,,,,,,,,", "C-2,Acme,acme.com,,,,,,,,,,,")
    summary = accounts_import_csv(path=path)
    assert rejects_of(summary) == [["2", "domains: gmail.com is a public email provider, not a company domain"]]
    assert list(Account.objects.values_list("crm_id", flat=True)) == ["C-2"]
    assert not AccountDomain.objects.filter(domain="gmail.com").exists()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("C-1,Acme,,12k,,,,,,,,,,", "arr: '12k' is not a number"),
        ("C-1,Acme,,-5,,,,,,,,,,", "arr: '-5' must be between 0 and 999,999,999,999.99"),
        ("C-1,Acme,,,dollars,,,,,,,,,", "currency: 'dollars' is not a three-letter code such as USD"),
        ("C-1,Acme,,,,platinum,,,,,,,,", "plan_tier: 'platinum' is not one of free, starter, growth, enterprise"),
        ("C-1,Acme,,,,,huge,,,,,,,", "segment: 'huge' is not one of smb, mid_market, enterprise"),
        (
            "C-1,Acme,,,,,,,lost,,,,,",
            "lifecycle_stage: 'lost' is not one of prospect, trial, customer, churn_risk, churned",
        ),
        ("C-1,Acme,,,,,,,,nobody@voc.example,,,,", "owner_email: no user has the email 'nobody@voc.example'"),
        (
            "C-1,Acme,jane@acme.com,,,,,,,,,,,",
            "domains: 'jane@acme.com' is an email address; give only the part after the @",
        ),
        ("C-1,Acme,acme!.com,,,,,,,,,,,", "domains: 'acme!.com' is not a domain name"),
        ("C-1,Acme,,,,,,,,,Jane,not-an-email,,", "contact_email: 'not-an-email' is not an email address"),
        ("C-1,Acme,,,,,,,,,Jane,,,", "contact_name: a contact needs contact_email, twitter_handle or reddit_handle"),
        (",,acme.com,,,,,,,,,,,", "crm_id or name is required"),
        ("C-404,,,,,,,,,,,,,", "name: is required for a new account (no account has crm_id 'C-404')"),
    ],
)
def test_a_bad_row_is_rejected_with_its_line_and_reason_and_writes_nothing(tmp_path, row, reason):
    path = write(tmp_path, "C-0,Good,,,,,,,,,,,,", row)
    summary = accounts_import_csv(path=path)
    assert rejects_of(summary) == [["3", reason]]
    assert list(Account.objects.values_list("crm_id", flat=True)) == ["C-0"]


def test_a_domain_of_another_account_is_rejected(tmp_path):
    AccountDomainFactory(domain="acme.com", account=AccountFactory(name="Acme Holdings"))
    summary = accounts_import_csv(path=write(tmp_path, "C-1,Acme,acme.com,,,,,,,,,,,"))
    assert rejects_of(summary) == [["2", "domains: acme.com already belongs to account 'Acme Holdings'"]]
    assert not Account.objects.filter(crm_id="C-1").exists()


def test_a_handle_of_another_contact_is_rejected(tmp_path):
    ContactFactory(email="jane@acme.com")
    ContactFactory(email="someone@else.com", name="Someone", twitter_handle="taken")
    summary = accounts_import_csv(path=write(tmp_path, "C-1,Acme,,,,,,,,,Jane,jane@acme.com,@taken,"))
    assert rejects_of(summary) == [["2", "twitter_handle: taken already belongs to the contact Someone"]]
    assert not Account.objects.filter(crm_id="C-1").exists()


def test_a_handle_that_leads_to_a_contact_with_another_email_is_rejected(tmp_path):
    ContactFactory(email="someone@else.com", twitter_handle="taken")
    summary = accounts_import_csv(path=write(tmp_path, "C-1,Acme,,,,,,,,,Jane,jane@acme.com,@taken,"))
    assert rejects_of(summary) == [
        ["2", "contact_email: the handle belongs to the contact someone@else.com, not jane@acme.com"]
    ]
    assert not Contact.objects.filter(email="jane@acme.com").exists()


def test_an_unknown_column_stops_the_import_before_anything_is_written(tmp_path):
    path = write(tmp_path, "crm_id,name,mrr\nC-1,Acme,10", header="")
    with pytest.raises(FileFormatError, match="'mrr'.*Known columns: arr, contact_email"):
        accounts_import_csv(path=path)
    assert not Account.objects.exists()


def test_it_reports_progress_in_rows_read(tmp_path):
    path = write(tmp_path, *[f"C-{n},Account {n},,,,,,,,,,,," for n in range(5)])
    seen = []
    accounts_import_csv(path=path, batch_size=2, progress=seen.append)
    assert seen == [2, 4, 5]

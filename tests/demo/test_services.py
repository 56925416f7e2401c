from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from voc.accounts.models import Account, AccountDomain, Contact
from voc.core import roles
from voc.demo.sample import LARGE_ACCOUNT_INTENTS, LOUD_INTENT, LOUD_TEXTS, TEXTS_PER_INTENT, sample_read
from voc.demo.services import demo_load
from voc.feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db

# Slices of the bulk sample keep these tests quick; the loud and large accounts always load in full.
LIMIT = 150
SMALL_LIMIT = 30


@pytest.fixture
def load(django_capture_on_commit_callbacks):
    def load(**kwargs):
        kwargs.setdefault("limit", SMALL_LIMIT)
        # Processing (account resolution) is queued on commit; run it as the real demo does.
        with django_capture_on_commit_callbacks(execute=True):
            return demo_load(**kwargs)

    return load


def intents(items) -> Counter:
    return Counter(item.metadata["banking77_intent"] for item in items)


def test_the_bundled_sample_holds_real_texts_for_twenty_intents():
    sample = sample_read()
    assert len(sample) == 20
    assert {len(texts) for intent, texts in sample.items() if intent != LOUD_INTENT} == {TEXTS_PER_INTENT}
    assert len(sample[LOUD_INTENT]) == TEXTS_PER_INTENT + LOUD_TEXTS
    assert "I am still waiting on my card?" in sample["card_arrival"]


class TestTheLoadedDemo:
    """Tests that only read share one committed load (it takes seconds)."""

    @pytest.fixture(scope="class")
    def demo(self, django_db_setup, django_db_blocker):
        """One committed load shared by the tests that only read it; processing runs on commit as in the demo."""
        with django_db_blocker.unblock():
            yield demo_load(limit=LIMIT)
            # The test database was empty before this class; leave it so, as a transactional test would.
            call_command("flush", interactive=False, verbosity=0)

    def test_it_creates_sixty_accounts_with_a_lognormal_spread_of_arr(self, demo):
        assert Account.objects.count() == 60
        arr = [account.arr for account in Account.objects.all()]
        known = [value for value in arr if value is not None]
        assert len([value for value in known if Decimal(1_000_000) <= value <= Decimal(5_000_000)]) >= 3
        assert len([value for value in known if Decimal(2_000) <= value <= Decimal(30_000)]) >= 25
        assert arr.count(None) == 2
        assert known.count(Decimal(0)) == 1
        assert Account.objects.get(arr=0).plan_tier == Account.Tier.FREE

    def test_every_account_has_a_crm_id_a_domain_and_contacts_at_it(self, demo):
        for account in Account.objects.prefetch_related("domains", "contacts"):
            assert account.crm_id
            assert account.segment
            assert account.region
            (domain,) = account.email_domains
            emails = [contact.email for contact in account.contacts.all()]
            assert emails
            assert any(email.endswith("@" + domain) for email in emails)
        assert Contact.objects.exclude(twitter_handle=None).exists()
        assert Contact.objects.exclude(reddit_handle=None).exists()

    def test_the_loud_account_files_forty_tickets_about_one_intent_on_a_small_arr(self, demo):
        loud = Account.objects.get(name=demo.loud_account)
        items = list(loud.feedback_items.all())
        assert loud.arr < Decimal(10_000)
        assert len(items) == LOUD_TEXTS
        assert intents(items) == {LOUD_INTENT: LOUD_TEXTS}
        assert {item.kind for item in items} == {FeedbackItem.Kind.TICKET}

    def test_each_large_account_raises_a_different_single_intent_once_or_twice(self, demo):
        largest = Account.objects.exclude(arr=None).order_by("-arr")[: len(LARGE_ACCOUNT_INTENTS)]
        raised = []
        for account in largest:
            items = list(account.feedback_items.all())
            assert 1 <= len(items) <= 2, account.name
            (intent,) = intents(items)
            raised.append(intent)
        assert sorted(raised) == sorted(LARGE_ACCOUNT_INTENTS)

    def test_it_fills_several_sources_and_all_five_kinds(self, demo):
        per_source = Counter(FeedbackItem.objects.values_list("source__name", flat=True))
        assert set(per_source) == {"Zendesk", "NPS survey", "Sales notes", "Reddit r/yourbank", "Twitter/X", "manual"}
        assert set(FeedbackItem.objects.values_list("kind", flat=True)) == set(FeedbackItem.Kind.values)
        assert Source.objects.get(name="Twitter/X").reliability_weight == 0.3
        surveys = FeedbackItem.objects.filter(kind=FeedbackItem.Kind.SURVEY)
        assert not surveys.filter(nps_score=None).exists()

    def test_it_resolves_most_items_by_every_method_and_leaves_some_unresolved(self, demo):
        methods = Counter(FeedbackItem.objects.values_list("resolved_by", flat=True))
        assert set(methods) == set(FeedbackItem.ResolvedBy.values)
        assert methods[FeedbackItem.ResolvedBy.UNRESOLVED] < FeedbackItem.objects.count() / 2
        unresolved = FeedbackItem.objects.filter(account=None)
        assert unresolved.filter(author_email__endswith="@gmail.com").exists()
        assert unresolved.exclude(author_handle="").exists()
        assert not FeedbackItem.objects.exclude(status=FeedbackItem.Status.PROCESSED).exists()

    def test_hand_logged_items_are_logged_by_the_cs_user(self, demo):
        manual = FeedbackItem.objects.filter(kind=FeedbackItem.Kind.MANUAL)
        assert manual.exists()
        assert set(manual.values_list("logged_by__username", flat=True)) == {"cs"}

    def test_occurred_at_spreads_over_the_last_twelve_weeks(self, demo):
        dates = FeedbackItem.objects.values_list("occurred_at", flat=True)
        span = max(dates) - min(dates)
        assert 8 * 7 <= span.days <= 12 * 7

    def test_hand_logged_demo_items_share_the_source_of_the_log_form(self, demo):
        forms = pytest.importorskip("voc.feedback.forms")
        assert FeedbackItem.objects.filter(source__name=forms.MANUAL_SOURCE_NAME, kind="manual").exists()


def test_the_limit_caps_only_the_bulk_of_the_sample_and_a_larger_one_adds_to_it(load):
    story_only = load(limit=0)
    large_mentions = story_only.items_created - LOUD_TEXTS
    assert len(LARGE_ACCOUNT_INTENTS) <= large_mentions <= 2 * len(LARGE_ACCOUNT_INTENTS)
    more = load(limit=LIMIT)
    assert (more.items_created, more.items_duplicate) == (LIMIT, story_only.items_created)


def test_loading_twice_creates_nothing_new(load):
    first = load()
    counts = [model.objects.count() for model in (Account, AccountDomain, Contact, Source, FeedbackItem, User)]
    again = load()
    assert (again.items_created, again.accounts_created, again.contacts_created) == (0, 0, 0)
    assert again.items_duplicate == first.items_created
    assert [model.objects.count() for model in (Account, AccountDomain, Contact, Source, FeedbackItem, User)] == counts


def test_the_same_seed_assigns_the_same_text_to_the_same_account(load):
    fields = ("external_id", "text", "account__crm_id", "author_email", "author_handle")
    load(seed=3)
    first = sorted(FeedbackItem.objects.values_list(*fields))
    FeedbackItem.objects.all().delete()
    load(seed=3)
    assert sorted(FeedbackItem.objects.values_list(*fields)) == first


def test_demo_users_are_staff_in_their_role_groups_with_the_given_password(load):
    load(password="s3cret-demo")
    admin, pm, cs = (User.objects.get(username=name) for name in ("admin", "pm", "cs"))
    assert admin.is_superuser
    assert (pm.is_staff, pm.is_superuser, cs.is_staff, cs.is_superuser) == (True, False, True, False)
    assert list(pm.groups.values_list("name", flat=True)) == [roles.PRODUCT]
    assert list(cs.groups.values_list("name", flat=True)) == [roles.CUSTOMER_SUCCESS]
    assert all(user.check_password("s3cret-demo") for user in (admin, pm, cs))


def test_admin_gets_an_api_token_once(load):
    pytest.importorskip("voc.api.services")
    from voc.api.models import ApiToken

    first = load()
    again = load()
    token = ApiToken.objects.active().get(user__username="admin")
    assert ApiToken.hash_key(first.api_token) == token.key_hash
    assert again.api_token == ""
    assert "already has" in again.api_token_note

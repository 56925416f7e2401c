from decimal import Decimal

import pytest

from tests.factories import AccountFactory, FeedbackItemFactory, SourceFactory
from voc.demo.selectors import feedback_summary
from voc.feedback.models import FeedbackItem, Source

pytestmark = pytest.mark.django_db


def test_it_counts_feedback_by_source_kind_and_busiest_account():
    tickets = SourceFactory(name="Zendesk", kind=Source.Kind.ZENDESK, reliability_weight=1.0)
    tweets = SourceFactory(name="Twitter/X", kind=Source.Kind.TWITTER, reliability_weight=0.3)
    SourceFactory(name="Quiet", kind=Source.Kind.API)
    big = AccountFactory(name="Big", arr=Decimal("2000000"))
    small = AccountFactory(name="Small", arr=None)
    FeedbackItemFactory.create_batch(3, source=tickets, account=small, resolved_by="contact_email")
    FeedbackItemFactory(source=tickets, account=big, resolved_by="email_domain")
    FeedbackItemFactory.create_batch(2, source=tweets, kind=FeedbackItem.Kind.SOCIAL)

    summary = feedback_summary(top=1)

    assert summary.total == 6
    assert [(row.name, row.items) for row in summary.by_source] == [("Zendesk", 4), ("Twitter/X", 2), ("Quiet", 0)]
    assert summary.by_kind == [("Support ticket", 4), ("Social post", 2)]
    assert [(row.name, row.arr, row.items) for row in summary.top_accounts] == [("Small", None, 3)]
    assert summary.by_resolved_by == [("Contact email", 3), ("Email domain", 1), ("Unresolved", 2)]
    assert summary.resolved == 4
    assert summary.resolved_share == pytest.approx(4 / 6)
    assert summary.by_status == [("Pending", 6)]


def test_an_empty_database_has_no_resolved_share():
    summary = feedback_summary()
    assert (summary.total, summary.resolved, summary.resolved_share) == (0, 0, 0.0)
    assert summary.by_resolved_by == [("Unresolved", 0)]

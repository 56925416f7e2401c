"""Syncs claim their source, and beat starts those whose interval has passed."""

import datetime as dt

import pytest
from django.utils import timezone

from ingest.sync import source_sync, sources_due
from tests.factories import SourceFactory
from voc.feedback.models import Source, SyncRun

pytestmark = pytest.mark.django_db


def test_a_second_sync_of_a_source_does_nothing_while_the_first_holds_it():
    source = SourceFactory(kind=Source.Kind.ZENDESK)
    Source.objects.filter(pk=source.pk).update(sync_lease_until=timezone.now() + dt.timedelta(minutes=5))
    assert source_sync(source_id=source.pk) is None
    assert not SyncRun.objects.exists()


def test_a_lapsed_hold_of_a_crashed_worker_is_taken_over():
    source = SourceFactory(kind=Source.Kind.ZENDESK, settings={})
    Source.objects.filter(pk=source.pk).update(sync_lease_until=timezone.now() - dt.timedelta(seconds=1))
    run = source_sync(source_id=source.pk)
    assert run.status == SyncRun.Status.FAILED  # it ran: here, to find its settings missing
    assert "needs the setting 'subdomain'" in run.error


def test_sources_are_due_when_their_interval_has_passed_since_the_last_attempt():
    now = timezone.now()
    fresh, stale, never = (SourceFactory(kind=Source.Kind.ZENDESK, sync_every_minutes=30) for _ in range(3))
    SourceFactory(kind=Source.Kind.ZENDESK, sync_every_minutes=0)  # on demand only
    SourceFactory(kind=Source.Kind.ZENDESK, enabled=False)
    SourceFactory(kind=Source.Kind.API)  # nothing to sync
    for source, minutes_ago in ((fresh, 10), (stale, 45)):
        run = SyncRun.objects.create(source=source, status=SyncRun.Status.FAILED)
        SyncRun.objects.filter(pk=run.pk).update(started_at=now - dt.timedelta(minutes=minutes_ago))
    assert sorted(sources_due(now=now)) == sorted([stale.pk, never.pk])

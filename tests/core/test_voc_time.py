import datetime as dt

from django.utils import timezone

from voc.core.templatetags.voc_time import ago


def test_a_moment_within_the_minute_was_just_now_not_0_minutes_ago():
    assert ago(timezone.now() - dt.timedelta(seconds=20)) == "just now"


def test_an_older_moment_says_how_long_ago():
    assert ago(timezone.now() - dt.timedelta(hours=3, minutes=1)) == "3\xa0hours ago"


def test_no_moment_says_nothing():
    assert ago(None) == ""

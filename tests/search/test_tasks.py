import pytest
from django.conf import settings as django_settings

from tests.search.conftest import item_with_text
from voc.search.neighbours import index_loaded
from voc.search.tasks import neighbours_index_build_task
from voc.themes.embedding import encoder_get

pytestmark = pytest.mark.django_db


def test_the_task_builds_the_index_of_the_current_models_vectors(settings, index_dir):
    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 2
    item_with_text("My card has not arrived.")
    item_with_text("I was charged twice.")

    assert neighbours_index_build_task.delay().get() == 2
    assert (index_dir / "units.json").is_file()
    assert index_loaded().version == encoder_get().version


def test_below_the_threshold_the_task_leaves_no_index(index_dir):
    item_with_text("My card has not arrived.")

    assert neighbours_index_build_task.delay().get() == 1
    assert not index_dir.exists()


def test_beat_rebuilds_the_index_every_hour():
    entry = django_settings.CELERY_BEAT_SCHEDULE["build-neighbours-index"]

    assert entry["task"] == "voc.search.tasks.neighbours_index_build_task"
    assert entry["schedule"].minute == {40}
    assert entry["schedule"].hour == set(range(24))


def test_a_recluster_rebuilds_the_index_after_bringing_vectors_up_to_the_model(settings, index_dir):
    from voc.themes.tasks import themes_recluster_task

    settings.VOC_SIMILAR_INDEX_MIN_UNITS = 2
    item_with_text("My card has not arrived.")
    item_with_text("I was charged twice.")

    themes_recluster_task.delay()

    assert index_loaded().units == 2

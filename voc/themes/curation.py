"""What people do to themes, each recorded in the audit trail and kept through re-clustering."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from voc.feedback.models import FeedbackItem
from voc.themes.models import Curation, Theme, ThemeEvent

# Items a person placed are pinned: the clusterer never moves them again (themes.services._clusterable_items).
PINNED = FeedbackItem.ThemeAssignedBy.PERSON
# Theme fields a person may set on the theme's admin page, and the audit action each change records.
FIELD_ACTIONS = {
    "human_name": Curation.Action.RENAME,
    "status": Curation.Action.STATUS,
    "locked": Curation.Action.LOCK,
    "product_area": Curation.Action.PRODUCT_AREA,
    "tracker_url": Curation.Action.TRACKER,
}


def theme_merge(*, sources: list[Theme], target: Theme, user) -> int:
    """Move every item of `sources` into `target`, pinned, and retire the sources; returns how many items moved."""
    sources = [theme for theme in sources if theme.pk != target.pk]
    if not sources:
        raise ValueError("choose at least one theme other than the one to merge into")
    now = timezone.now()
    with transaction.atomic():
        moved = 0
        for theme in sources:
            count = FeedbackItem.objects.filter(theme=theme).update(
                theme=target, theme_assigned_by=PINNED, theme_similarity=None
            )
            moved += count
            Theme.objects.filter(pk=theme.pk).update(merged_into=target, retired_at=now, size=0, updated_at=now)
            ThemeEvent.objects.create(theme=theme, kind=ThemeEvent.Kind.MERGED_INTO, other_theme=target,
                                      items_moved=count)
        Theme.objects.filter(pk=target.pk).update(size=F("size") + moved, updated_at=now)
        Curation.objects.create(
            theme=target, action=Curation.Action.MERGE, user=user,
            detail={"merged": [{"id": theme.pk, "name": theme.display_name} for theme in sources], "items": moved},
        )
    return moved


def items_move(*, item_ids: list[int], target: Theme, user) -> int:
    """Put items in `target` by hand (pinned there); returns how many moved."""
    with transaction.atomic():
        items = FeedbackItem.objects.select_for_update().filter(pk__in=item_ids).exclude(theme=target)
        origins = list(items.values_list("theme_id", flat=True))
        moved = items.update(theme=target, theme_assigned_by=PINNED, theme_similarity=None)
        Curation.objects.create(
            theme=target, action=Curation.Action.MOVE_ITEMS, user=user,
            detail={"items": sorted(item_ids), "from_themes": sorted({o for o in origins if o})},
        )
        for theme_id in {o for o in origins if o}:
            Theme.objects.filter(pk=theme_id).update(size=FeedbackItem.objects.filter(theme_id=theme_id).count())
        Theme.objects.filter(pk=target.pk).update(size=FeedbackItem.objects.filter(theme=target).count())
    return moved


def theme_changes_record(*, theme: Theme, changed: dict[str, tuple], user) -> None:
    """Audit a person's edits to a theme's own fields: {field: (before, after)}."""
    Curation.objects.bulk_create(
        Curation(theme=theme, action=FIELD_ACTIONS[field], user=user,
                 detail={"field": field, "before": _plain(before), "after": _plain(after)})
        for field, (before, after) in changed.items()
        if field in FIELD_ACTIONS
    )


def _plain(value):
    return value if value is None or isinstance(value, bool | int | float | str) else str(value)

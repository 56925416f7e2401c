from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Value
from django.db.models.functions import Coalesce, Lower, NullIf, Substr
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.defaultfilters import date as date_filter
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import ngettext

from voc.feedback.competitors import competitor_tag_past_soon
from voc.feedback.forms import FeedbackAdminAddForm
from voc.feedback.models import Competitor, FeedbackItem, FeedbackUnit, Source, SyncRun, WebhookDelivery
from voc.feedback.search import feedback_matching
from voc.feedback.search_syntax import MAX_QUERY_CHARS
from voc.feedback.selectors import PREVIEW_CHARS, feedback_placement
from voc.feedback.services import IngestStatus, feedback_account_set, feedback_ingest
from voc.feedback.surveys import COLUMNS as SURVEY_COLUMNS
from voc.feedback.surveys import MAX_REASONS_SHOWN, SurveyFileError, survey_csv_import
from voc.feedback.tasks import feedback_reresolve_task
from voc.themes.curation import items_move
from voc.themes.models import Theme

SYNC_RUNS_SHOWN = 10


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "enabled", "reliability", "sync_every", "last_sync"]
    list_filter = ["kind", "enabled"]
    search_fields = ["name"]
    readonly_fields = ["cursor", "last_synced_at", "last_error", "connector_notes", "recent_syncs", "survey_upload"]
    actions = ["sync_now"]

    def get_urls(self):
        upload = path("<int:source_id>/upload-survey/", self.admin_site.admin_view(self.survey_upload_view),
                      name="feedback_source_survey_upload")
        return [upload, *super().get_urls()]

    @admin.display(description="Reliability", ordering="reliability_weight")
    def reliability(self, source):
        return f"{source.reliability_weight:.2f}"

    @admin.display(description="Syncs every", ordering="sync_every_minutes")
    def sync_every(self, source):
        minutes = source.sync_every_minutes
        return ngettext("%(count)d minute", "%(count)d minutes", minutes) % {"count": minutes} if minutes else "—"

    @admin.display(description="Last sync", ordering="last_synced_at")
    def last_sync(self, source):
        # The error in full on hover: it can be a page of a provider's response.
        when = date_filter(source.last_synced_at, "j M Y, H:i") if source.last_synced_at else "Never"
        if not source.last_error:
            return when
        return format_html(
            '{}<span class="truncate bad" title="{}">{}</span>', when, source.last_error, source.last_error[:300]
        )

    @admin.display(description="Survey export")
    def survey_upload(self, source):
        if source.pk is None or source.kind != Source.Kind.SURVEY:
            return "—"
        url = reverse("admin:feedback_source_survey_upload", args=[source.pk])
        return format_html('<a class="button" href="{}">Upload a survey CSV…</a>', url)

    def survey_upload_view(self, request, source_id: int):
        if not request.user.has_perm("feedback.add_feedbackitem"):
            raise PermissionDenied
        source = get_object_or_404(Source, pk=source_id)
        result, error = None, ""
        if request.method == "POST":
            upload = request.FILES.get("file")
            if upload is None:
                error = "Choose a CSV file."
            elif upload.size > settings.VOC_API_MAX_BODY_BYTES:
                error = f"The file is over {settings.VOC_API_MAX_BODY_BYTES:,} bytes; split it."
            else:
                try:
                    result = survey_csv_import(source=source, data=upload.read())
                except SurveyFileError as refused:
                    error = f"Nothing imported: {refused}."
        return TemplateResponse(
            request, "admin/feedback/survey_upload.html",
            self.admin_site.each_context(request) | {
                "title": f"Upload a survey export into {source.name}", "source": source, "result": result,
                "error": error, "opts": self.model._meta, "columns": SURVEY_COLUMNS,
                "reasons": result.rejected[:MAX_REASONS_SHOWN] if result else [],
            },
        )

    @admin.display(description="Recent syncs")
    def recent_syncs(self, source):
        runs = source.sync_runs.order_by("-started_at")[:SYNC_RUNS_SHOWN]
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f"{run.started_at:%Y-%m-%d %H:%M}", run.get_status_display(), run.pages, run.items_new,
              run.items_updated, run.items_failed, run.error[:200]) for run in runs),
        )
        head = mark_safe(
            "<tr><th>Started</th><th>Status</th><th>Pages</th><th>New</th><th>Updated</th><th>Failed</th>"
            "<th>Error</th></tr>"
        )
        return format_html("<table>{}{}</table>", head, rows) if runs else "None yet."

    @admin.display(description="Notes")
    def connector_notes(self, source):
        return CONNECTOR_NOTES.get(source.kind, "")

    @admin.action(description="Sync now", permissions=["change"])
    def sync_now(self, request, queryset):
        from ingest.base import CONNECTORS
        from ingest.tasks import source_sync_task

        syncable = [source for source in queryset if source.kind in CONNECTORS]
        for source in syncable:
            source_sync_task.delay(source.pk)
        skipped = len(queryset) - len(syncable)
        started = ngettext("%(count)d source", "%(count)d sources", len(syncable)) % {"count": len(syncable)}
        without = ngettext("%(count)d has", "%(count)d have", skipped) % {"count": skipped}
        self.message_user(
            request,
            f"Sync started for {started}"
            + (f"; {without} no connector (API, files, logged by hand)." if skipped else "."),
            messages.SUCCESS if syncable else messages.WARNING,
        )


# Shown on a source's page: what a person configuring it must know.
CONNECTOR_NOTES = {
    Source.Kind.ZENDESK: (
        "Settings: subdomain, email (of the API user), token_env (the environment variable holding the API token). "
        "The incremental export resumes from its cursor; a new source starts 30 days back (voc_sync --since for more)."
    ),
    Source.Kind.INTERCOM: (
        "Settings: token_env (the environment variable holding the access token), optional workspace_id; for "
        "webhooks, secret_env (the app's client secret)."
    ),
    Source.Kind.TYPEFORM: (
        "Settings: form_id, token_env (the environment variable holding a token with responses:read), optional "
        "score_ref and comment_ref. Responses with a score but no comment are skipped."
    ),
    Source.Kind.HUBSPOT: (
        "Settings: token_env (the environment variable holding a private app token). Notes come in as sales notes "
        "on the account whose CRM id is the note's HubSpot company id."
    ),
    Source.Kind.SALESFORCE: (
        "Settings: login_url (the org's My Domain URL), client_id_env and client_secret_env (a connected app with "
        "the client-credentials flow). Tasks come in on the account whose CRM id is their Salesforce AccountId."
    ),
    Source.Kind.REDDIT: (
        "Settings: subreddit, optional query, client_id_env and client_secret_env (the environment variables "
        "holding the app's credentials). Runs read back to the last run's newest post, with a 30-minute look-back."
    ),
    Source.Kind.TWITTER: (
        "Settings: query (X search syntax), token_env (the environment variable holding the bearer token). "
        "X's recent search covers only the last 7 days: a pause longer than that leaves a gap no sync can recover."
    ),
}


@admin.register(SyncRun)
class SyncRunAdmin(admin.ModelAdmin):
    list_display = ["source", "started_at", "finished_at", "status", "pages", "items_new", "items_updated",
                    "items_failed", "error"]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    readonly_fields = list_display
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# Shown, never edited: they come from the source, or from processing.
FEEDBACK_READONLY_FIELDS = [
    "source", "external_id", "text", "text_truncated", "url", "author_email", "author_handle", "author_name",
    "contact", "resolved_by", "occurred_at", "received_at", "rating", "nps_score", "language", "metadata",
    "content_hash", "status", "attempts", "last_error", "processed_at", "logged_by", "placement", "sentiment",
    "sentiment_score", "feeling", "source_metadata",
]
FEEDBACK_ADD_FIELDS = [
    "account", "kind", "source", "title", "text", "author_email", "occurred_at", "idempotency_key",
]
# A hand move is a few items read one by one; a bigger change is a merge or a split of themes.
MOVE_MAX_ITEMS = 1000
# The theme filter offers the largest live themes only: there are thousands, and a sidebar of them helps nobody.
# Any other theme is filtered by its id in the URL, as the links from a theme's page do.
THEME_FILTER_CHOICES = 30
# A unit's words on the item's page; the whole text is shown above them.
UNIT_WORDS_SHOWN = 300


class UnitThemeFilter(admin.SimpleListFilter):
    """Items by the themes any of their units joined, not only the lead theme; or Unsorted, or no content."""

    title = "theme"
    parameter_name = "theme"
    UNSORTED = "unsorted"  # the ranking's Unsorted row links here with it
    NO_CONTENT = "no-content"

    def lookups(self, request, model_admin):
        live = Theme.objects.filter(retired_at__isnull=True).only("pk", "name", "human_name").order_by("-size", "pk")
        themes = list(live[:THEME_FILTER_CHOICES])
        chosen = self._theme_id()
        if chosen is not None and all(theme.pk != chosen for theme in themes):
            # Filtered from a link: name the chosen theme, live or not, so the sidebar shows what is applied.
            themes += Theme.objects.filter(pk=chosen).only("pk", "name", "human_name")
        return [
            (self.UNSORTED, "Unsorted"),
            (self.NO_CONTENT, "No feedback content"),
            *((str(theme.pk), theme.display_name) for theme in themes),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return None
        # Subqueries on the units, not joins: an item with three units in a theme must be listed once.
        if value == self.UNSORTED:
            unsorted = FeedbackUnit.objects.filter(theme__isnull=True).values("item_id")
            return queryset.filter(status=FeedbackItem.Status.PROCESSED, pk__in=unsorted)
        if value == self.NO_CONTENT:
            # An anti-join: NOT IN over every unit's item id would hash the whole units table first.
            has_units = FeedbackUnit.objects.filter(item_id=OuterRef("pk"))
            return queryset.filter(~Exists(has_units), status=FeedbackItem.Status.PROCESSED)
        theme_id = self._theme_id()
        if theme_id is None:
            raise IncorrectLookupParameters(f"theme={value!r} is not a theme id")
        return queryset.filter(pk__in=FeedbackUnit.objects.filter(theme_id=theme_id).values("item_id"))

    def _theme_id(self) -> int | None:
        try:
            return int(self.value())
        except (TypeError, ValueError):
            return None


class ThemeChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, theme):
        return f"{theme.display_name} ({_items(theme.size)})"


class MoveToThemeForm(forms.Form):
    # A plain select: a few thousand live themes at most, ordered by the name people see.
    theme = ThemeChoiceField(
        queryset=Theme.objects.filter(retired_at__isnull=True)
        .only("pk", "name", "human_name", "size")
        .order_by(Lower(Coalesce(NullIf("human_name", Value("")), "name")), "pk"),
        error_messages={"invalid_choice": "That theme was retired or merged into another; choose a live theme."},
    )


@admin.register(FeedbackItem)
class FeedbackItemAdmin(admin.ModelAdmin):
    # Text first; the kind is a filter, and the status shows in the text's cell when it is not Processed.
    list_display = ["summary", "lead_theme", "account", "source", "feeling", "said_on"]
    list_filter = ["kind", "status", "sentiment", UnitThemeFilter, "source", "resolved_by"]
    list_select_related = ["source", "account", "theme"]
    search_fields = ["external_id", "title", "author_email", "author_handle"]
    raw_id_fields = ["account", "contact", "logged_by"]
    show_full_result_count = False
    actions = ["reresolve_accounts", "move_to_theme"]
    add_form = FeedbackAdminAddForm
    # What a PM or CS person reads first: the words, where they went, who said them and through which source;
    # ids, hashes, raw metadata and processing state folded under Technical details.
    fieldsets = [
        (None, {"fields": ["title", "text", "kind", "account"]}),
        ("Themes", {"fields": ["placement", "feeling"]}),
        ("Who and when", {"fields": ["author_name", "author_email", "author_handle", "contact", "occurred_at",
                                     "logged_by"]}),
        ("Source", {"fields": ["source", "url", "rating", "nps_score"]}),
        ("Technical details", {"classes": ["collapse"], "fields": [
            "external_id", "received_at", "resolved_by", "language", "source_metadata", "status", "attempts",
            "last_error", "processed_at", "text_truncated", "sentiment_score", "content_hash",
        ]}),
    ]

    def get_queryset(self, request):
        # Texts run to VOC_MAX_TEXT_CHARS; the list needs only their start. The theme's centroid (1.5 KB of binary,
        # deferred wherever the list joins the theme) is shown nowhere.
        queryset = super().get_queryset(request).defer("text", "theme__centroid")
        return queryset.annotate(text_preview=Substr("text", 1, PREVIEW_CHARS))

    def get_search_results(self, request, queryset, search_term):
        # Ids, emails and handles as before (search_fields), or the words of titles and texts through the full-text
        # index (voc.feedback.search): "apple pay" finds what customers wrote. Newest first, as the list is.
        # The stock search ANDs a condition per word: a pasted page of words nests past SQLite's expression depth.
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term[:MAX_QUERY_CHARS])
        if not search_term.strip():
            return found, may_have_duplicates
        return found | feedback_matching(items=queryset, query=search_term), may_have_duplicates

    def has_curate_permission(self, request):
        """Putting feedback in a theme is curating themes: Product may, Customer success may not."""
        return request.user.has_perm("themes.change_theme")

    def response_action(self, request, queryset):
        # The action is not offered to people who may not curate; posting it anyway is refused, not ignored.
        if request.POST.get("action") == "move_to_theme" and not self.has_curate_permission(request):
            raise PermissionDenied
        return super().response_action(request, queryset)

    @admin.display(description="Feedback", ordering="title")
    def summary(self, item):
        # Two lines of it in the list, the loaded start of the text whole on hover.
        shown, whole = item.text_preview, item.text_preview
        if item.title:
            shown = format_html("<strong>{}</strong> {}", item.title, item.text_preview)
            whole = f"{item.title}: {item.text_preview}"
        status = "" if item.status == FeedbackItem.Status.PROCESSED else item.get_status_display()
        return format_html(
            '<span class="truncate" title="{}">{}</span>{}', whole, shown,
            format_html(' <span class="badge">{}</span>', status) if status else "",
        )

    @admin.display(description="Date", ordering="occurred_at")
    def said_on(self, item):
        return date_filter(item.occurred_at, "j M Y")

    @admin.display(description="Metadata from the source")
    def source_metadata(self, item):
        rows = format_html_join("", "<dt>{}</dt><dd>{}</dd>", sorted((item.metadata or {}).items()))
        return format_html('<dl class="metadata">{}</dl>', rows) if rows else "—"

    # Filtered by a theme, an item that raised it second still shows its first: the column says which it is.
    @admin.display(description="Lead theme", ordering="theme")
    def lead_theme(self, item):
        return item.theme

    # Read by processing (voc.feedback.sentiment), never edited: blank until measured.
    @admin.display(description="Sentiment", ordering="sentiment_score")
    def feeling(self, item):
        if not item.sentiment:
            return "—"
        # Rounded before formatting, so a score of -0.004 reads +0.00 rather than -0.00.
        return f"{item.get_sentiment_display()} {round(item.sentiment_score, 2) or 0.0:+.2f}"

    @admin.display(description="Where it went")
    def placement(self, item):
        placement = feedback_placement(item_id=item.pk)
        if placement.status == FeedbackItem.Status.PENDING:
            return "Not sorted yet: waiting to be processed."
        if placement.status == FeedbackItem.Status.FAILED:
            attempts = ngettext("%(count)d attempt", "%(count)d attempts", item.attempts) % {"count": item.attempts}
            return f"Not sorted: processing failed after {attempts}: {Truncator(item.last_error).chars(300)}"
        if placement.no_content:
            return "No feedback content (greetings or thanks only): it counts in no theme."
        rows = format_html_join(
            "", "<li>“{}” → {}</li>",
            ((Truncator(unit.words).chars(UNIT_WORDS_SHOWN), _theme_label(unit.theme)) for unit in placement.units),
        )
        return format_html('<ol class="units">{}</ol>', rows)

    def action_checkbox(self, item):
        # The stock checkbox labels itself with str(item), which would load each row's deferred text.
        attrs = {"class": "action-select", "aria-label": f"Select feedback #{item.pk} for an action"}
        return forms.CheckboxInput(attrs, lambda value: False).render(helpers.ACTION_CHECKBOX_NAME, str(item.pk))

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": FEEDBACK_ADD_FIELDS})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else FEEDBACK_READONLY_FIELDS

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = self.add_form
        return super().get_form(request, obj, change=change, **kwargs)

    def save_model(self, request, obj, form, change):
        if change:
            if "account" in form.changed_data:
                feedback_account_set(item=obj, account=obj.account)
            super().save_model(request, obj, form, change)
            return
        result = feedback_ingest(
            source=form.cleaned_data["source"],
            record=form.record(),
            account=form.cleaned_data["account"],
            logged_by=request.user,
        )
        # The add form already ran record_clean with this record, so the service accepts it or finds it stored.
        obj.pk = result.item_id
        obj._state.adding = False
        obj.refresh_from_db()
        obj.ingest_status = result.status

    def log_addition(self, request, obj, message):
        if getattr(obj, "ingest_status", None) == IngestStatus.DUPLICATE:
            return None  # nothing was added
        return super().log_addition(request, obj, message)

    def response_add(self, request, obj, post_url_continue=None):
        if getattr(obj, "ingest_status", None) == IngestStatus.DUPLICATE:
            self.message_user(
                request,
                format_html("Already logged: {} (nothing new was created).", obj),
                messages.WARNING,
            )
            return HttpResponseRedirect(reverse("admin:feedback_feedbackitem_change", args=[obj.pk]))
        return super().response_add(request, obj, post_url_continue)

    @admin.action(description="Re-resolve accounts for the selected items")
    def reresolve_accounts(self, request, queryset):
        item_ids = list(queryset.filter(account__isnull=True).values_list("pk", flat=True))
        feedback_reresolve_task.delay(item_ids)
        self.message_user(request, f"Re-resolving {_items(len(item_ids))} without an account.", messages.SUCCESS)

    @admin.action(description="Move selected feedback to a theme…", permissions=["curate"])
    def move_to_theme(self, request, queryset):
        item_ids = list(queryset.order_by("pk").values_list("pk", flat=True)[: MOVE_MAX_ITEMS + 1])
        if len(item_ids) > MOVE_MAX_ITEMS:
            message = f"Move at most {MOVE_MAX_ITEMS:,} items at a time; merge or split themes for more."
            self.message_user(request, message, messages.WARNING)
            return None
        form = MoveToThemeForm(request.POST if "theme" in request.POST else None)
        if form.is_valid():
            target = form.cleaned_data["theme"]
            try:
                moved = items_move(item_ids=item_ids, target=target, user=request.user)
            except ValueError as error:
                self.message_user(request, f"Nothing moved: {error}.", messages.ERROR)
                return None
            self.message_user(
                request, f"Moved {_items(moved)} to “{target}”, pinned there through re-clustering.", messages.SUCCESS
            )
            return None
        return TemplateResponse(
            request,
            "admin/feedback/move_to_theme.html",
            self.admin_site.each_context(request)
            | {
                "title": "Move feedback to a theme",
                "form": form,
                "items": queryset.order_by("pk")[:20],
                "item_ids": item_ids,
                "opts": self.model._meta,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )


def _items(count: int) -> str:
    return ngettext("%(count)d item", "%(count)d items", count) % {"count": count}


def _theme_label(theme: Theme | None) -> str:
    if theme is None:
        return "Unsorted"
    link = format_html('<a href="{}">{}</a>', reverse("ranking-theme", args=[theme.pk]), theme.display_name)
    if theme.emerging:
        return format_html('{} <span title="Gathered since the last re-clustering">(emerging)</span>', link)
    return link


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["source", "received_at", "status", "items_new", "items_updated", "items_failed", "error"]
    list_filter = ["status", "source"]
    list_select_related = ["source"]
    exclude = ["body"]
    readonly_fields = ["source", "key", "received_at", "status", "items_new", "items_updated", "items_failed", "error",
                       "payload"]
    show_full_result_count = False
    actions = ["process_again"]

    @admin.display(description="Payload (as received)")
    def payload(self, delivery):
        return format_html("<pre>{}</pre>", bytes(delivery.body)[:20_000].decode("utf-8", "replace"))

    def has_add_permission(self, request):
        return False

    @admin.action(description="Process again (after a parser fix)", permissions=["change"])
    def process_again(self, request, queryset):
        from ingest.tasks import webhook_process_task

        ids = list(queryset.exclude(status=WebhookDelivery.Status.PROCESSED).values_list("pk", flat=True))
        WebhookDelivery.objects.filter(pk__in=ids).update(status=WebhookDelivery.Status.RECEIVED, error="")
        for delivery_id in ids:
            webhook_process_task.delay(delivery_id)
        queued = ngettext("%(count)d delivery", "%(count)d deliveries", len(ids)) % {"count": len(ids)}
        self.message_user(request, f"{queued} queued again; processed ones are left alone.")


class CompetitorForm(forms.ModelForm):
    """The aliases as one comma-separated line: people type a list of spellings, not JSON."""

    aliases = forms.CharField(
        required=False, label="Other names", widget=forms.TextInput(attrs={"size": 60}),
        help_text="Comma-separated spellings customers use, e.g. “ZD, Zendesk Suite”. The name and each of these "
                  "match as a whole word in any case: “zendesk’s” names Zendesk, “Asanas” does not name Asana.",
    )

    class Meta:
        model = Competitor
        fields = ["name", "aliases"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.initial["aliases"] = ", ".join(self.instance.aliases or [])

    def clean_name(self):
        return _competitor_name(self.cleaned_data["name"])

    def clean_aliases(self):
        aliases, seen = [], set()
        for alias in self.cleaned_data["aliases"].split(","):
            alias = " ".join(alias.split())
            if alias and alias.casefold() not in seen:
                seen.add(alias.casefold())
                aliases.append(_competitor_name(alias))
        return aliases

    def clean(self):
        cleaned = super().clean()
        name = cleaned.get("name", "")
        cleaned["aliases"] = [alias for alias in cleaned.get("aliases", []) if alias.casefold() != name.casefold()]
        return cleaned


def _competitor_name(name: str) -> str:
    name = " ".join(name.split())
    # A name of punctuation only ("-", "...") would match wherever a customer wrote that mark.
    if not any(character.isalnum() for character in name):
        raise forms.ValidationError(f"“{name}” has no letter or digit to match.")
    if len(name) > 100:
        raise forms.ValidationError(f"“{name[:40]}…” is over 100 characters.")
    return name


@admin.register(Competitor)
class CompetitorAdmin(admin.ModelAdmin):
    form = CompetitorForm
    list_display = ["name", "other_names", "units_naming", "accounts_naming", "created_at"]
    search_fields = ["name"]
    readonly_fields = ["units_naming", "accounts_naming"]
    actions = ["tag_past_again"]

    def get_queryset(self, request):
        # A few dozen competitors, each counted over its own tags (an index on the tag table), never all units.
        return super().get_queryset(request).annotate(
            unit_count=Count("units", distinct=True), account_count=Count("units__item__account", distinct=True)
        )

    @admin.display(description="Other names")
    def other_names(self, competitor):
        return ", ".join(competitor.aliases or []) or "—"

    @admin.display(description="Units naming it", ordering="unit_count")
    def units_naming(self, competitor):
        return getattr(competitor, "unit_count", "—")

    @admin.display(description="Accounts naming it", ordering="account_count")
    def accounts_naming(self, competitor):
        return getattr(competitor, "account_count", "—")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        # Past feedback is tagged only when what matches changed: renaming nothing re-reads nothing.
        if not change or {"name", "aliases"} & set(form.changed_data):
            competitor_tag_past_soon(competitor_id=obj.pk)
            self.message_user(request, f"Past feedback naming “{obj.name}” is being tagged in the background.")

    @admin.action(description="Tag past feedback again", permissions=["change"])
    def tag_past_again(self, request, queryset):
        competitor_ids = list(queryset.values_list("pk", flat=True))
        for competitor_id in competitor_ids:
            competitor_tag_past_soon(competitor_id=competitor_id)
        named = ngettext("%(count)d competitor", "%(count)d competitors", len(competitor_ids)) % {
            "count": len(competitor_ids)
        }
        self.message_user(request, f"Tagging past feedback for {named} in the background.")

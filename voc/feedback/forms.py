"""Forms for logging and browsing feedback. They shape input for feedback_ingest; the rules live in record_clean."""

import datetime as dt
import uuid
from collections.abc import Mapping

from django import forms
from django.urls import reverse_lazy
from django.utils import timezone

from voc.accounts.models import Account
from voc.accounts.selectors import account_detail, account_get, accounts_search
from voc.feedback.models import FeedbackItem, Sentiment, Source
from voc.feedback.records import RecordRejected, record_clean
from voc.feedback.selectors import sources_all, sources_enabled
from voc.feedback.services import source_get_or_create
from voc.themes.models import Theme

MANUAL_SOURCE_NAME = "manual"

# Where a field named in a RecordRejected lives on our forms; None means "about the whole form".
FORM_FIELD_FOR_RECORD_FIELD = {"account_id": "account", "external_id": None, "record": None}


def manual_source() -> Source:
    """The source for feedback people log by hand, created on first use."""
    return source_get_or_create(name=MANUAL_SOURCE_NAME, kind=Source.Kind.MANUAL)


def add_rejection(form: forms.BaseForm, errors: Mapping[str, str]) -> None:
    """Show the reasons a record was rejected next to the fields they concern."""
    for record_field, message in errors.items():
        field_name = FORM_FIELD_FOR_RECORD_FIELD.get(record_field, record_field)
        if field_name not in form.fields:
            field_name = None
        # The service's messages leave out their subject ("is empty"); next to a field that reads as a fragment.
        if field_name and message.split(" ", 1)[0] in {"is", "must", "contains"}:
            message = f"{form.fields[field_name].label or field_name.capitalize()} {message}."
        form.add_error(field_name, message)


class FeedbackLogForm(forms.Form):
    """What customer-success staff fill in to log a note on a customer's behalf."""

    # The visible box people type in; without JavaScript a name that matches one account is enough.
    account = forms.CharField(
        label="Account",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={
                "autofocus": True,
                "autocomplete": "off",
                "spellcheck": "false",
                "placeholder": "Name, email domain or CRM id",
                "role": "combobox",
                "aria-autocomplete": "list",
                "aria-expanded": "false",
                "aria-controls": "id_account_listbox",
                "aria-describedby": "id_account_detail",
                "data-autocomplete-url": reverse_lazy("accounts:autocomplete"),
                "data-autocomplete-target": "id_account_id",
                "data-autocomplete-detail": "id_account_detail",
            }
        ),
    )
    account_id = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    kind = forms.ChoiceField(choices=FeedbackItem.Kind.choices, initial=FeedbackItem.Kind.MANUAL)
    source = forms.ModelChoiceField(queryset=Source.objects.none(), empty_label=None)
    title = forms.CharField(required=False, max_length=500)
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}))
    author_email = forms.CharField(label="Author email", required=False, max_length=254, widget=forms.EmailInput)
    occurred_at = forms.DateField(
        label="Date", required=False, initial=timezone.localdate, widget=forms.DateInput(attrs={"type": "date"})
    )
    # Passed on as typed: record_clean decides what a valid rating or score is.
    rating = forms.CharField(
        label="Rating", required=False, widget=forms.NumberInput(attrs={"step": "any", "min": 0, "max": 10})
    )
    nps_score = forms.CharField(
        label="NPS", required=False, widget=forms.NumberInput(attrs={"step": 1, "min": 0, "max": 10})
    )
    # Sent back with the form so that a double submit or a retried POST logs one item.
    idempotency_key = forms.CharField(required=False, initial=uuid.uuid4, widget=forms.HiddenInput)

    def __init__(self, *args, default_source: Source | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources_enabled()
        if default_source is not None and default_source.enabled and "source" not in self.initial:
            self.fields["source"].initial = default_source.pk
        self.picked_account: Account | None = None
        if not self.is_bound and self.initial.get("account_id"):
            self.picked_account = account_get(account_id=self.initial["account_id"])

    @classmethod
    def for_next_note(cls, params: Mapping[str, str], *, default_source: Source | None) -> "FeedbackLogForm":
        """An empty form keeping the account, kind and source named in `params` (the query after a save)."""
        initial = {}
        if params.get("kind") in FeedbackItem.Kind.values:
            initial["kind"] = params["kind"]
        if str(params.get("source", "")).isdigit():
            initial["source"] = int(params["source"])
        account = account_get(account_id=int(params["account"])) if str(params.get("account", "")).isdigit() else None
        if account is not None:
            initial.update(account=account.name, account_id=account.pk)
        form = cls(initial=initial, default_source=default_source)
        if account is not None:
            # The account is chosen already; the next thing to type is the note.
            form.fields["account"].widget.attrs.pop("autofocus", None)
            form.fields["text"].widget.attrs["autofocus"] = True
        return form

    def clean_idempotency_key(self) -> str:
        return _idempotency_key(self.cleaned_data["idempotency_key"])

    @property
    def picked_account_detail(self) -> str:
        return account_detail(self.picked_account) if self.picked_account else ""

    def clean(self):
        cleaned = super().clean()
        account_id, typed = cleaned.get("account_id"), cleaned.get("account", "")
        account = None
        if account_id:
            account = account_get(account_id=account_id)
            if account is None:
                self.add_error("account", f"No account has id {account_id}; pick one from the list.")
        elif typed:
            account = self._account_from_text(typed)
        elif "account" not in self.errors:
            self.add_error("account", "Pick the customer's account.")
        if account is not None:
            cleaned["account"] = account
            self.picked_account = account
        return cleaned

    def _account_from_text(self, typed: str) -> Account | None:
        matches = accounts_search(query=typed, limit=10)
        exact = [account for account in matches if account.name.casefold() == typed.strip().casefold()]
        if len(matches) == 1 or len(exact) == 1:
            return matches[0] if len(matches) == 1 else exact[0]
        if matches:
            self.add_error("account", f"Several accounts match “{typed}”; pick one from the list.")
        else:
            self.add_error("account", f"No account matches “{typed}”.")
        return None

    def record(self) -> dict:
        """The cleaned form as a record for feedback_ingest (the account is passed separately)."""
        data = self.cleaned_data
        return form_record(
            data, occurred_at=_occurred_at(data.get("occurred_at")), rating=data["rating"], nps_score=data["nps_score"]
        )


def _idempotency_key(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        # A page without a usable key (a mangled form, a stale browser cache) still logs; it only loses the
        # double-submit protection. An error here would come back on every retry with the same bad key.
        return str(uuid.uuid4())


def _occurred_at(day) -> str:
    if day is None:
        return ""
    if day == timezone.localdate():
        # Logged the day it was said: keep the time too, so that today's notes stay in order.
        return timezone.now().isoformat()
    return day.isoformat()


class FeedbackFilterForm(forms.Form):
    """The search box and filters above the feedback list; invalid values are reported and ignored."""

    # No max_length: a query too long is cut by the search, which says so, rather than ignored as invalid.
    q = forms.CharField(
        label="Search", required=False, strip=True,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": 'apple pay, "top up" -refund, login OR sso'}),
    )
    source = forms.ModelChoiceField(queryset=Source.objects.none(), required=False, empty_label="All sources")
    kind = forms.ChoiceField(choices=[("", "All kinds"), *FeedbackItem.Kind.choices], required=False)
    status = forms.ChoiceField(choices=[("", "Any status"), *FeedbackItem.Status.choices], required=False)
    account = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    segment = forms.ChoiceField(choices=[("", "All segments"), *Account.Segment.choices], required=False)
    sentiment = forms.ChoiceField(choices=[("", "Any sentiment"), *Sentiment.choices], required=False)
    since = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    # Reached from links (a theme's page, an item's themes): thousands of themes make no useful menu.
    theme = forms.ModelChoiceField(
        queryset=Theme.objects.only("pk", "name", "human_name"), required=False, widget=forms.HiddenInput,
        error_messages={"invalid_choice": "No theme has this id."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = sources_all()

    def filters(self) -> dict:
        """Keyword arguments for feedback_list and feedback_search (voc.feedback.selectors.feedback_filter)."""
        self.is_valid()
        data = self.cleaned_data
        source, theme = data.get("source"), data.get("theme")
        since, until = data.get("since"), data.get("until")
        return {
            "source_id": source.pk if source else None,
            "kind": data.get("kind", ""),
            "status": data.get("status", ""),
            "account_id": data.get("account"),
            "theme_id": theme.pk if theme else None,
            "segment": data.get("segment", ""),
            "sentiment": data.get("sentiment", ""),
            # Whole days in the site's time zone, the "To" day included.
            "since": _day_start(since),
            "until": _day_start(until + dt.timedelta(days=1)) if until and until < dt.date.max else None,
        }

    @property
    def query(self) -> str:
        self.is_valid()
        return self.cleaned_data.get("q", "")


def _day_start(day: dt.date | None) -> dt.datetime | None:
    """Midnight starting the day, where the day has one in every time zone; None (no bound) for none or year 1."""
    if day is None or day < dt.date(1, 1, 2):
        return None  # before any feedback anyway; midnight of year 1 east of UTC is before the first storable time
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class FeedbackAdminAddForm(forms.ModelForm):
    """The admin's "add feedback item": the same checks as every other way in, then feedback_ingest saves it."""

    idempotency_key = forms.CharField(required=False, initial=uuid.uuid4, widget=forms.HiddenInput)

    class Meta:
        model = FeedbackItem
        fields = ["account", "kind", "source", "title", "text", "author_email", "occurred_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["account"].help_text = "Leave empty to find the account from the author email."
        self.fields["kind"].initial = FeedbackItem.Kind.MANUAL
        self.fields["occurred_at"].initial = timezone.now
        self.fields["source"].queryset = sources_enabled()
        default_source = manual_source()
        if default_source.enabled:
            self.fields["source"].initial = default_source.pk

    def clean_idempotency_key(self) -> str:
        return _idempotency_key(self.cleaned_data["idempotency_key"])

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        # Checked here, not only when saving, so that a rejection shows on the form like any other error.
        try:
            record_clean(self.record(), source=cleaned["source"])
        except RecordRejected as rejected:
            add_rejection(self, rejected.errors)
        return cleaned

    def record(self) -> dict:
        """The cleaned form as a record for feedback_ingest (the account is passed separately)."""
        return form_record(self.cleaned_data, occurred_at=self.cleaned_data["occurred_at"].isoformat())


def form_record(data: Mapping, **fields) -> dict:
    """The fields both logging forms share, as a record for feedback_ingest, plus the form's own `fields`."""
    return {
        "external_id": data["idempotency_key"],
        "kind": data["kind"],
        "title": data["title"],
        "text": data["text"],
        "author_email": data["author_email"],
        **fields,
    }

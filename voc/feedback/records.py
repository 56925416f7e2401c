"""Validation of incoming feedback records: one set of rules for the API, imports, the form and connectors."""

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from voc.feedback.models import FeedbackItem, Source

RECORD_FIELDS = frozenset(
    {
        "external_id", "kind", "title", "text", "url", "author_email", "author_handle", "author_name",
        "account_id", "account_crm_id", "occurred_at", "rating", "nps_score", "language", "metadata",
    }
)
MAX_TITLE_CHARS = 500
MAX_METADATA_BYTES = 16 * 1024
# Clocks drift and time zones get mangled; beyond a day ahead a date is wrong, not early.
MAX_FUTURE_SKEW = dt.timedelta(days=1)
# The largest id a bigint column holds; a larger account id would fail the lookup (SQLite) instead of being refused.
MAX_ACCOUNT_ID = 2**63 - 1

# The item kind a source implies when a record does not say; sources like the API carry any kind.
DEFAULT_KIND_BY_SOURCE = {
    Source.Kind.MANUAL: FeedbackItem.Kind.MANUAL,
    Source.Kind.ZENDESK: FeedbackItem.Kind.TICKET,
    Source.Kind.INTERCOM: FeedbackItem.Kind.TICKET,
    Source.Kind.TYPEFORM: FeedbackItem.Kind.SURVEY,
    Source.Kind.SURVEY: FeedbackItem.Kind.SURVEY,
    Source.Kind.REDDIT: FeedbackItem.Kind.SOCIAL,
    Source.Kind.TWITTER: FeedbackItem.Kind.SOCIAL,
    Source.Kind.HUBSPOT: FeedbackItem.Kind.SALES_NOTE,
    Source.Kind.SALESFORCE: FeedbackItem.Kind.SALES_NOTE,
}

_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")
_WHITESPACE = re.compile(r"\s+")
_url_validator = URLValidator(schemes=["http", "https"])


class RecordRejected(Exception):
    """A record that cannot be accepted; `errors` maps each bad field to a message a person can act on."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass
class CleanRecord:
    external_id: str
    kind: str
    text: str
    occurred_at: dt.datetime
    content_hash: str
    title: str = ""
    url: str = ""
    author_email: str = ""
    author_handle: str = ""
    author_name: str = ""
    account_id: int | None = None
    account_crm_id: str = ""
    rating: Decimal | None = None
    nps_score: int | None = None
    language: str = ""
    metadata: dict = field(default_factory=dict)
    text_truncated: bool = False
    original_length: int = 0
    warnings: list[str] = field(default_factory=list)


def content_hash(text: str) -> str:
    """SHA-256 of the text with whitespace collapsed: identical feedback hashes alike across sources."""
    return hashlib.sha256(_WHITESPACE.sub(" ", text).strip().encode("utf-8")).hexdigest()


def record_clean(raw: Mapping, *, source: Source, default_kind: str = "") -> CleanRecord:
    """Validate and normalise one raw record, or raise RecordRejected with every problem found."""
    if not isinstance(raw, Mapping):
        raise RecordRejected({"record": f"expected an object, got {type(raw).__name__}"})
    errors: dict[str, str] = {}
    warnings: list[str] = []

    # A key may itself carry invalid UTF-8; escape it so the message is always printable and storable.
    unknown = sorted(str(key).encode("utf-8", "backslashreplace").decode() for key in raw if key not in RECORD_FIELDS)
    if unknown:
        errors["record"] = f"unknown field(s): {', '.join(unknown)}"

    strings = {}
    for name in RECORD_FIELDS - {"account_id", "rating", "nps_score", "metadata", "occurred_at"}:
        value = raw.get(name)
        if value is None:
            strings[name] = ""
        elif isinstance(value, (int, float)) and not isinstance(value, bool) and name == "external_id":
            strings[name] = str(value)
        elif not isinstance(value, str):
            errors[name] = f"must be a string, got {type(value).__name__}"
            strings[name] = ""
        elif _LONE_SURROGATE.search(value):
            errors[name] = "contains bytes that are not valid UTF-8"
            strings[name] = ""
        else:
            # PostgreSQL cannot store NUL characters; they carry no meaning in feedback.
            strings[name] = value.replace("\x00", "")

    text = strings["text"].strip()
    original_length = len(text)
    text_truncated = False
    if "text" not in errors:
        if not text:
            errors["text"] = "is empty" if "text" in raw else "is required"
        elif len(text) > settings.VOC_MAX_TEXT_CHARS:
            warnings.append(
                f"text was {len(text):,} characters; kept the first {settings.VOC_MAX_TEXT_CHARS:,}"
            )
            text = text[: settings.VOC_MAX_TEXT_CHARS]
            text_truncated = True

    title = strings["title"].strip()
    if len(title) > MAX_TITLE_CHARS:
        warnings.append(f"title was {len(title):,} characters; kept the first {MAX_TITLE_CHARS}")
        title = title[:MAX_TITLE_CHARS]

    kind = strings["kind"].strip() or default_kind or DEFAULT_KIND_BY_SOURCE.get(source.kind, "")
    if "kind" not in errors and kind not in FeedbackItem.Kind.values:
        allowed = ", ".join(FeedbackItem.Kind.values)
        errors["kind"] = f"{kind!r} is not one of {allowed}" if kind else f"is required for this source ({allowed})"

    url = strings["url"].strip()
    if url:
        try:
            _url_validator(url)
        except ValidationError:
            errors["url"] = "must be an http or https URL"

    author_email = strings["author_email"].strip().lower()
    if author_email:
        try:
            validate_email(author_email)
        except ValidationError:
            errors["author_email"] = f"{author_email!r} is not an email address"

    occurred_at = _clean_datetime(raw.get("occurred_at"), errors)
    account_id = _clean_int(raw.get("account_id"), "account_id", errors, minimum=1, maximum=MAX_ACCOUNT_ID)
    nps_score = _clean_int(raw.get("nps_score"), "nps_score", errors, minimum=0, maximum=10)
    rating = _clean_rating(raw.get("rating"), errors)
    metadata = _clean_metadata(raw.get("metadata"), errors)

    if len(strings["external_id"]) > 255:
        errors["external_id"] = "is longer than 255 characters"
    if len(strings["author_handle"]) > 100:
        errors["author_handle"] = "is longer than 100 characters"
    if len(strings["language"]) > 16:
        errors["language"] = "is longer than 16 characters"
    if errors:
        raise RecordRejected(errors)

    digest = content_hash(text)
    author_handle = strings["author_handle"].strip()
    external_id = strings["external_id"].strip() or _derived_external_id(
        digest, author_email, author_handle, raw.get("occurred_at")
    )
    return CleanRecord(
        external_id=external_id,
        kind=kind,
        text=text,
        text_truncated=text_truncated,
        original_length=original_length,
        occurred_at=occurred_at,
        content_hash=digest,
        title=title,
        url=url,
        author_email=author_email,
        author_handle=author_handle,
        author_name=strings["author_name"].strip()[:200],
        account_id=account_id,
        account_crm_id=strings["account_crm_id"].strip(),
        rating=rating,
        nps_score=nps_score,
        language=strings["language"].strip().lower(),
        metadata=metadata,
        warnings=warnings,
    )


def _derived_external_id(digest: str, author_email: str, author_handle: str, occurred_at) -> str:
    # Without an id from upstream, the same feedback from the same person at the same time is the same item,
    # so a re-run of an import or a retried API call creates nothing new.
    basis = "|".join([digest, author_email, author_handle, str(occurred_at or "")])
    return "auto:" + hashlib.sha256(basis.encode("utf-8")).hexdigest()[:40]


def _clean_datetime(value, errors: dict[str, str]) -> dt.datetime:
    now = timezone.now()
    if value in (None, ""):
        return now
    if not isinstance(value, str):
        errors["occurred_at"] = "must be an ISO 8601 date or date-time string"
        return now
    try:
        parsed = parse_datetime(value.strip())
        if parsed is None:
            day = parse_date(value.strip())
            parsed = dt.datetime.combine(day, dt.time()) if day else None
    except ValueError:
        parsed = None
    if parsed is None:
        errors["occurred_at"] = f"{value!r} is not an ISO 8601 date or date-time"
        return now
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, dt.UTC)
    try:
        # In UTC, as it is stored: PostgreSQL cannot read an offset with seconds (+00:00:01.5), and
        # 0001-01-01T00:00+01:00 is a year before 1 in UTC, which Python cannot hold.
        parsed = parsed.astimezone(dt.UTC)
    except OverflowError:
        errors["occurred_at"] = f"{value!r} is out of range"
        return now
    if parsed > now + MAX_FUTURE_SKEW:
        errors["occurred_at"] = f"{value} is in the future"
    return parsed


def _clean_int(value, name: str, errors: dict[str, str], *, minimum: int, maximum: int | None = None):
    if value in (None, ""):
        return None
    if isinstance(value, bool):
        errors[name] = "must be an integer"
        return None
    try:
        number = int(value)
        if isinstance(value, float) and number != value:
            raise ValueError
    except (TypeError, ValueError, OverflowError):  # OverflowError: infinity, which JSON's 1e400 parses to
        errors[name] = f"{value!r} is not an integer"
        return None
    if number < minimum or (maximum is not None and number > maximum):
        errors[name] = f"must be between {minimum} and {maximum}" if maximum is not None else f"must be ≥ {minimum}"
        return None
    return number


def _clean_rating(value, errors: dict[str, str]) -> Decimal | None:
    if value in (None, ""):
        return None
    try:
        if isinstance(value, bool):
            raise InvalidOperation
        rating = Decimal(str(value))
    except InvalidOperation:
        errors["rating"] = f"{value!r} is not a number"
        return None
    if not rating.is_finite() or rating < 0 or rating > 10:
        errors["rating"] = "must be between 0 and 10"
        return None
    return rating.quantize(Decimal("0.01"))


def _clean_metadata(value, errors: dict[str, str]) -> dict:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        errors["metadata"] = "must be a JSON object"
        return {}
    try:
        # NaN and Infinity are not JSON: PostgreSQL's jsonb and SQLite's JSON refuse them, failing the whole batch.
        encoded = json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError):
        errors["metadata"] = "must contain only JSON values and valid text"
        return {}
    if len(encoded) > MAX_METADATA_BYTES:
        errors["metadata"] = f"is {len(encoded):,} bytes; the limit is {MAX_METADATA_BYTES:,}"
        return {}
    if "\\u0000" in encoded.decode("utf-8"):
        errors["metadata"] = "contains NUL characters"
        return {}
    return value

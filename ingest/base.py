"""What every connector is: a way to fetch one page of a source's feedback after a cursor, and its errors.

A connector never writes to the database. `ingest.sync.source_sync` asks it for pages and stores each page's
records together with the cursor that follows them, in one transaction, so a sync that stops anywhere resumes
from the last page it stored, without a gap and without a duplicate.
"""

import importlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from voc.feedback.models import Source


class ConnectorError(Exception):
    """A fetch failed. `permanent`: retrying cannot help (bad credentials, a missing permission, bad settings)."""

    def __init__(self, message: str, *, permanent: bool = False, retry_after: float | None = None):
        super().__init__(message)
        self.permanent = permanent
        self.retry_after = retry_after  # seconds the API asked us to wait, when it said


class TransientError(ConnectorError):
    def __init__(self, message: str, *, retry_after: float | None = None):
        super().__init__(message, retry_after=retry_after)


class PermanentError(ConnectorError):
    def __init__(self, message: str):
        super().__init__(message, permanent=True)


@dataclass
class Page:
    """One page of a source: records in the shape `record_clean` reads, and where the next page starts."""

    records: list[dict]
    cursor: dict  # the source's cursor once this page is stored
    done: bool  # no more pages for now
    # Records of this page that could not be read, as (external id or position, reason); the rest go in.
    skipped: list[tuple[str, str]] = field(default_factory=list)


class Connector:
    """Fetches a source's feedback page by page. Subclasses set `kind` and implement `fetch_page`."""

    kind: str = ""

    def __init__(self, source: Source):
        self.source = source
        self.settings: Mapping = source.settings or {}

    def start_cursor(self, since: datetime | None) -> dict:
        """The cursor a backfill from `since` starts with (the source's saved cursor is used otherwise)."""
        raise NotImplementedError

    def fetch_page(self, cursor: dict) -> Page:
        raise NotImplementedError

    def setting(self, name: str, default=None):
        value = self.settings.get(name, default)
        if value is None:
            raise PermanentError(f"source {self.source.name!r} needs the setting {name!r}")
        return value

    def secret(self, setting: str) -> str:
        """A secret named in the source's settings, read from the environment; never stored, never logged."""
        variable = self.setting(setting)
        value = os.environ.get(variable, "")
        if not value:
            raise PermanentError(f"environment variable {variable} (setting {setting!r}) is not set")
        return value


def epoch_iso(seconds) -> str:
    """Seconds since 1970 as ISO 8601 text. A number that is no time Python can hold (milliseconds sent as seconds,
    say) is passed on as it is, so record_clean refuses that one record with a reason instead of the page failing."""
    try:
        return datetime.fromtimestamp(float(seconds), UTC).isoformat()
    except (TypeError, ValueError, OverflowError, OSError):
        return str(seconds)


# Source kind → the connector class, by dotted path so that a source's package loads only when used.
CONNECTORS = {
    Source.Kind.ZENDESK: "ingest.zendesk.connector.ZendeskConnector",
    Source.Kind.TWITTER: "ingest.twitter.connector.XConnector",
    Source.Kind.REDDIT: "ingest.reddit.connector.RedditConnector",
    Source.Kind.TYPEFORM: "ingest.typeform.connector.TypeformConnector",
    Source.Kind.HUBSPOT: "ingest.hubspot.connector.HubSpotConnector",
    Source.Kind.SALESFORCE: "ingest.salesforce.connector.SalesforceConnector",
    Source.Kind.INTERCOM: "ingest.intercom.connector.IntercomConnector",
}


def connector_for(source: Source) -> Connector:
    path = CONNECTORS.get(source.kind)
    if path is None:
        raise PermanentError(f"no connector syncs sources of kind {source.kind!r}")
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)(source)

"""The full-text index of feedback titles and texts that each database keeps itself, and how it is put in and out.

Neither index is a model field: SQLite has no column type for it, and on PostgreSQL the column is computed by the
database, so Django never reads or writes it. voc.feedback.search queries both through expressions and SQL.

PostgreSQL: a stored generated tsvector column, the title weighted A and the text B, in a GIN index beside the day
each item was said (UTC). The database computes the column on every insert and update, so no code path (COPY in
bench.pages, bulk updates, the admin) can leave it behind. The day is in the index because the search wants the
newest matches (voc.feedback.search): with it, "matches said in the last 30 days" is answered inside the index, and
only those rows are read from the table. Without it, a word in 3% of a million items cost 21,000 random page reads
to find its newest thousand (213 ms); with it, 1,600 (4 ms). It takes the btree_gin extension (in PostgreSQL's
contrib, which the official images ship; trusted, so the database owner may create it).

The text search configuration is `voc_english`: English stemming ("declined" finds "declining") without English stop
words, because customers' phrases are made of them — "top up", "not working", "log in", "sign out" lose
the word that matters under the stock 'english' configuration, which drops up, not, in and out. Without a stop list
it also behaves as SQLite's porter tokenizer does, so both databases find the same items. Text in other languages is
indexed word for word, unstemmed (an Arabic or German word is found as written); Chinese or Japanese without spaces
is one token per run of characters, found when searched as that run. ('simple' beside 'english' would add unstemmed
words to every row for that case alone, doubling the index.) Common words typed without quotes are skipped when the
query is read instead (voc.feedback.search_syntax), so that a question typed as a question still finds items.

SQLite: an FTS5 table over the item table's own rows (external content, so the text is stored once), tokenized with
porter and unicode61 (diacritics folded), kept in step by insert, update and delete triggers.

Later migrations that touch feedback_feedbackitem must mind the index:
- PostgreSQL refuses to change the type of `title` or `text` while the generated column reads them: drop the column
  (search_index_remove) first and put it back (search_index_install) after.
- Django's SQLite schema editor alters a table by copying it into a new one, which drops its triggers. The FTS rows
  stay right (the ids and texts are copied unchanged), but nothing would keep them in step afterwards, so
  search_triggers_repair runs after every `migrate` (voc.feedback.apps) and puts the triggers back.
- A change to the index itself is a new migration that calls search_index_remove, then search_index_install: the
  first migration imports these functions rather than copying their SQL, and removing is safe to repeat.
"""

import logging

logger = logging.getLogger(__name__)

ITEM_TABLE = "feedback_feedbackitem"
# PostgreSQL
CONFIG = "voc_english"
STEMMER = "voc_english_stem"
VECTOR_COLUMN = "search_vector"
VECTOR_INDEX = "feedback_search_day_vector_idx"
# The day an item was said, as the index holds it: an immutable expression (a date in UTC), so that it may be indexed.
ITEM_DAY = "((occurred_at AT TIME ZONE 'UTC')::date)"
VECTOR_INDEX_CREATE = f"CREATE INDEX {VECTOR_INDEX} ON {ITEM_TABLE} USING GIN ({ITEM_DAY}, {VECTOR_COLUMN})"
# Indexes of earlier versions, dropped when the index is taken out.
_EARLIER_INDEXES = ["feedback_search_vector_idx"]
# SQLite
FTS_TABLE = "feedback_search"
TRIGGERS = {
    f"{FTS_TABLE}_after_insert": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_after_insert AFTER INSERT ON {ITEM_TABLE} BEGIN
            INSERT INTO {FTS_TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text);
        END""",
    # An external-content FTS5 table forgets a row by being told the values it indexed, which the old row holds.
    f"{FTS_TABLE}_after_delete": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_after_delete AFTER DELETE ON {ITEM_TABLE} BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
        END""",
    # Processing saves items often (status, theme, sentiment); only a new title or text is indexed again.
    f"{FTS_TABLE}_after_update": f"""
        CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_after_update AFTER UPDATE OF title, text ON {ITEM_TABLE}
        WHEN old.title IS NOT new.title OR old.text IS NOT new.text BEGIN
            INSERT INTO {FTS_TABLE} ({FTS_TABLE}, rowid, title, text) VALUES ('delete', old.id, old.title, old.text);
            INSERT INTO {FTS_TABLE} (rowid, title, text) VALUES (new.id, new.title, new.text);
        END""",
}


def search_index_install(connection) -> None:
    """Create the database's full-text index of feedback and fill it from the items already there."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"CREATE TEXT SEARCH DICTIONARY {STEMMER} (TEMPLATE = snowball, Language = english)")
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = english)")
            cursor.execute(
                f"ALTER TEXT SEARCH CONFIGURATION {CONFIG} ALTER MAPPING REPLACE english_stem WITH {STEMMER}"
            )
            # Adding a stored column rewrites the table under an exclusive lock: on a large table, run it in a quiet
            # hour (about a minute per million short items, most of it building the index).
            cursor.execute(
                f"ALTER TABLE {ITEM_TABLE} ADD COLUMN {VECTOR_COLUMN} tsvector GENERATED ALWAYS AS ("
                f"setweight(to_tsvector('{CONFIG}'::regconfig, title), 'A') || "
                f"setweight(to_tsvector('{CONFIG}'::regconfig, text), 'B')) STORED"
            )
            cursor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
            cursor.execute(VECTOR_INDEX_CREATE)
            # Statistics of the new column now, not when autovacuum gets round to it: until then the planner guesses
            # 5,000 matches for any word, and walked every "card" item of 1M to filter them by theme (0.5 s).
            cursor.execute(f"ANALYZE {ITEM_TABLE}")
        elif connection.vendor == "sqlite":
            cursor.execute(
                f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5(title, text, content='{ITEM_TABLE}', "
                f"content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')"
            )
            for create in TRIGGERS.values():
                cursor.execute(create)
            cursor.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
        else:
            raise NotImplementedError(f"feedback search supports PostgreSQL and SQLite, not {connection.vendor}")


def search_index_remove(connection) -> None:
    """Drop the full-text index of feedback (the reverse of search_index_install)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # btree_gin stays: an extension is the database's, and other indexes may come to use it.
            for index in [VECTOR_INDEX, *_EARLIER_INDEXES]:
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
            cursor.execute(f"ALTER TABLE {ITEM_TABLE} DROP COLUMN IF EXISTS {VECTOR_COLUMN}")
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {CONFIG}")
            cursor.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {STEMMER}")
        elif connection.vendor == "sqlite":
            for name in TRIGGERS:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")


def search_triggers_repair(connection) -> bool:
    """SQLite: put back the triggers that keep the index in step if a table rebuild dropped them; True if it did."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = %s", [FTS_TABLE])
        if cursor.fetchone() is None:
            return False  # before the migration that makes the index, or after it was reversed
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [ITEM_TABLE])
        missing = set(TRIGGERS) - {name for (name,) in cursor.fetchall()}
        if not missing:
            return False
        for name in sorted(missing):
            cursor.execute(TRIGGERS[name])
        # Rows written between the rebuild and now went unindexed; the rebuild reads them all again.
        cursor.execute(f"INSERT INTO {FTS_TABLE} ({FTS_TABLE}) VALUES ('rebuild')")
    logger.warning("feedback search: put back %s after a rebuild of %s, and re-indexed it", sorted(missing), ITEM_TABLE)
    return True

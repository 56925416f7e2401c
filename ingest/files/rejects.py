"""Reject files: every row an import could not take, with its line number, the reason and the row as it was."""

import csv
from pathlib import Path

REJECT_COLUMNS = ["line", "reason", "raw"]


class RejectFileError(Exception):
    """The reject file cannot be written where asked; raised before the import writes anything."""


def reject_path_default(path: str | Path) -> Path:
    """Where rejected rows of `path` go unless told otherwise: next to it, as PATH.rejects.csv."""
    return Path(f"{path}.rejects.csv")


class RejectWriter:
    """Writes rejected rows to a CSV file, which is created only at the first reject."""

    def __init__(self, path: Path):
        self.path = path
        self._handle = None
        self._writer = None

    @classmethod
    def for_import(cls, *, path: str | Path, reject_path: str | Path | None = None) -> "RejectWriter":
        """A writer for an import of `path`, checked now so that a bad location fails before any row is read."""
        target = Path(reject_path) if reject_path else reject_path_default(path)
        if target.resolve() == Path(path).resolve():
            raise RejectFileError(f"The reject file {target} would overwrite the file being imported.")
        if not target.parent.is_dir():
            raise RejectFileError(f"Cannot write rejects to {target}: the folder {target.parent} does not exist.")
        return cls(target)

    @property
    def written(self) -> bool:
        return self._writer is not None

    def write(self, line_number: int, reason: str, raw: str) -> None:
        if self._writer is None:
            self._handle = open(self.path, "w", encoding="utf-8", newline="")  # noqa: SIM115 closed in close()
            self._writer = csv.writer(self._handle)
            self._writer.writerow(REJECT_COLUMNS)
        self._writer.writerow([line_number, reason, raw.rstrip("\r\n")])

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

# The digest's week of feedback (a riser, a faller, a new theme, a steady one): the PM's home reads the same
# snapshots and says why themes moved in the digest's words, so it is tested on the same week.
from tests.digests.conftest import week  # noqa: F401

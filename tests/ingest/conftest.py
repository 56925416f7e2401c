import pytest

from tests.ingest.fake_api import FakeApi


@pytest.fixture
def api():
    """A local server on 127.0.0.1 answering like a provider's API, from the replies a test queues."""
    with FakeApi() as fake:
        yield fake

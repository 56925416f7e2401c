from tests.api.conftest import api_client, token_client  # noqa: F401  (the API's token-authenticated client)

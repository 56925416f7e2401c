import pytest
from django.core.management import call_command
from drf_spectacular.validation import validate_schema
from rest_framework.test import APIClient

from tests.factories import UserFactory
from voc.feedback.records import RECORD_FIELDS

pytestmark = pytest.mark.django_db

SCHEMA_URL = "/api/schema/"


@pytest.fixture
def schema(api_client) -> dict:
    response = api_client.get(SCHEMA_URL, {"format": "json"})
    assert response.status_code == 200
    return response.json()


def ref(schema: dict, pointer: dict) -> dict:
    return schema["components"]["schemas"][pointer["$ref"].rsplit("/", 1)[-1]]


def test_it_refuses_the_schema_to_anonymous_callers():
    response = APIClient().get(SCHEMA_URL)

    assert response.status_code == 401


def test_it_serves_the_schema_to_a_signed_in_user():
    client = APIClient()
    client.force_login(UserFactory())

    response = client.get(SCHEMA_URL)

    assert response.status_code == 200
    assert b"openapi: 3." in response.content


def test_it_serves_a_valid_openapi_3_schema_with_both_endpoints(schema):
    validate_schema(schema)

    assert schema["openapi"].startswith("3.")
    assert "post" in schema["paths"]["/api/v1/feedback"]
    assert "get" in schema["paths"]["/api/v1/feedback/{item_id}"]


def test_it_describes_the_request_as_one_item_or_a_batch(schema):
    body = schema["paths"]["/api/v1/feedback"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    single, batch = (ref(schema, option) for option in ref(schema, body)["oneOf"])

    assert single["required"] == ["text"]
    assert "source" in single["properties"]
    assert set(batch["properties"]) == {"source", "items"}
    assert batch["properties"]["items"]["maxItems"] == 1000


def test_the_record_schema_lists_exactly_the_fields_record_clean_accepts(schema):
    record = schema["components"]["schemas"]["FeedbackRecord"]

    assert set(record["properties"]) == RECORD_FIELDS


def test_it_describes_the_per_item_results_and_the_error_answers(schema):
    responses = schema["paths"]["/api/v1/feedback"]["post"]["responses"]

    assert {"200", "201", "400", "401", "403", "413", "415"} <= set(responses)
    answer = ref(schema, responses["201"]["content"]["application/json"]["schema"])
    result = ref(schema, answer["properties"]["results"]["items"])
    assert set(result["properties"]) == {"index", "status", "id", "external_id", "errors", "warnings"}
    assert ref(schema, result["properties"]["status"]["allOf"][0])["enum"] == ["created", "duplicate", "rejected"]
    assert set(ref(schema, answer["properties"]["counts"])["properties"]) == {"created", "duplicate", "rejected"}
    assert ref(schema, responses["413"]["content"]["application/json"]["schema"])["properties"] == {
        "detail": {"type": "string"}
    }
    bad_request = ref(schema, responses["400"]["content"]["application/json"]["schema"])
    assert len(bad_request["oneOf"]) == 2


def test_it_describes_one_item_as_it_is_returned(schema):
    get = schema["paths"]["/api/v1/feedback/{item_id}"]["get"]
    item = ref(schema, get["responses"]["200"]["content"]["application/json"]["schema"])

    assert "404" in get["responses"]
    assert {"id", "source", "account", "text", "text_truncated", "metadata", "status"} <= set(item["properties"])
    assert item["properties"]["account"]["nullable"] is True


def test_it_documents_the_bearer_token(schema):
    assert schema["components"]["securitySchemes"]["tokenAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "description": schema["components"]["securitySchemes"]["tokenAuth"]["description"],
    }


def test_it_generates_without_warnings(tmp_path):
    # --fail-on-warn turns anything drf-spectacular had to guess into an error.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml"))

    assert (tmp_path / "schema.yaml").read_text().startswith("openapi: 3.")

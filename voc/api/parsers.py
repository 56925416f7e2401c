import json

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from voc.api.exceptions import RequestTooLarge


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JSONBodyParser(JSONParser):
    """JSON only, UTF-8 only (RFC 8259), with errors that say what is wrong and where."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.VOC_API_MAX_BODY_BYTES
        # DRF hands JSON parsers the already-read body (Django checks DATA_UPLOAD_MAX_MEMORY_SIZE on the way);
        # reading at most one byte past the limit keeps this bounded whatever stream it is given.
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise RequestTooLarge()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            raise ParseError(f"The request body is not valid UTF-8 (bad byte at position {error.start}).")
        try:
            return json.loads(text, parse_constant=_reject_constant)
        except json.JSONDecodeError as error:
            raise ParseError(f"Malformed JSON: {error.msg} at line {error.lineno}, column {error.colno}.")
        except ValueError as error:
            raise ParseError(f"Malformed JSON: {error}.")
        except RecursionError:
            raise ParseError("Malformed JSON: nested too deeply.")

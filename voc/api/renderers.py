from rest_framework.renderers import JSONRenderer


class _AsciiJSONRenderer(JSONRenderer):
    ensure_ascii = True


class SafeJSONRenderer(JSONRenderer):
    """UTF-8 JSON; falls back to \\u escapes when the data holds text that UTF-8 cannot carry.

    JSON lets a client send a lone surrogate ("\\ud800"); an error message that quotes the client's input
    (an unknown key, say) would then fail to encode and turn a 400 into a 500.
    """

    def render(self, data, accepted_media_type=None, renderer_context=None):
        try:
            return super().render(data, accepted_media_type, renderer_context)
        except UnicodeEncodeError:
            return _AsciiJSONRenderer().render(data, accepted_media_type, renderer_context)

"""The more-like-this page's question: one item, unit or theme, or free text."""

from django import forms

from voc.search.selectors import QUERY_MAX_CHARS

SOURCES = ("item", "unit", "theme", "q")


class SimilarForm(forms.Form):
    item = forms.IntegerField(required=False, min_value=1)
    unit = forms.IntegerField(required=False, min_value=1)
    theme = forms.IntegerField(required=False, min_value=1)
    q = forms.CharField(label="Words customers use", required=False, max_length=QUERY_MAX_CHARS, strip=True)
    # With item: only the item's account's feedback of the last 30 days that likely says the same.
    duplicates = forms.BooleanField(required=False)

    def clean(self):
        cleaned = super().clean()
        given = [name for name in SOURCES if cleaned.get(name) not in (None, "")]
        if len(given) > 1:
            raise forms.ValidationError("Ask about one thing at a time: an item, a unit, a theme or words.")
        if cleaned.get("duplicates") and given != ["item"]:
            raise forms.ValidationError("Likely duplicates are looked up for one feedback item.")
        cleaned["source"] = given[0] if given else None
        return cleaned

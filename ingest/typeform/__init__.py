"""Typeform: a form's responses, an NPS or rating answer plus the comment, through the Responses API."""

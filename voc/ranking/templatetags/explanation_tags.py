"""The settings in force, in words, for the settings panel both ranking pages include (admin/ranking/_policy.html)."""

from django import template

from voc.ranking import explanation
from voc.ranking.scoring import WeightPolicy

register = template.Library()


@register.filter
def policy_terms(policy: WeightPolicy) -> dict[str, explanation.Term]:
    """{% with terms=policy|policy_terms %}{{ terms.value.words }}{% endwith %}"""
    return explanation.policy_terms(policy)

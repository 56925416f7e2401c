from decimal import Decimal

import pytest
from django.template import Context, Template

from voc.core.money import money


@pytest.mark.parametrize(
    ("amount", "text"),
    [(Decimal("2623000.00"), "$2,623,000"), (4_994_270, "$4,994,270"), (950, "$950"), (0, "$0"), (-1500, "−$1,500")],
)
def test_an_amount_is_whole_units_with_the_symbol_in_front_and_thousands_separated(amount, text):
    assert money(amount) == text


@pytest.mark.parametrize(
    ("amount", "text"), [(950, "$950"), (12_400, "$12k"), (999_999, "$1.0M"), (4_994_270, "$5.0M")]
)
def test_running_text_writes_thousands_and_millions_short(amount, text):
    assert money(amount, short=True) == text


def test_a_currency_without_a_symbol_keeps_its_code_in_front():
    assert money(3_344_000, "CHF") == "CHF 3,344,000"
    assert money(1_200, "eur") == "€1,200"


def test_an_unknown_amount_says_so():
    assert money(None) == "unknown"


def test_the_template_filters_write_the_same_format():
    rendered = Template("{% load voc %}{{ arr|money }} {{ arr|money:'GBP' }} {{ arr|money_short }}").render(
        Context({"arr": Decimal("3344000.00")})
    )

    assert rendered == "$3,344,000 £3,344,000 $3.3M"

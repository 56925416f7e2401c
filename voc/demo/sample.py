"""The bundled BANKING77 sample: which intents it holds and how to read it. Needs no Django."""

import csv
from pathlib import Path

SAMPLE_PATH = Path(__file__).resolve().parent / "data" / "banking77_sample.csv"

# Intents that read like product problems, in the order the sample file lists them.
INTENTS = [
    "card_arrival",
    "declined_card_payment",
    "pending_transfer",
    "exchange_rate",
    "top_up_failed",
    "card_not_working",
    "transfer_not_received_by_recipient",
    "lost_or_stolen_card",
    "wrong_amount_of_cash_received",
    "cash_withdrawal_charge",
    "transaction_charged_twice",
    "balance_not_updated_after_bank_transfer",
    "Refund_not_showing_up",
    "pin_blocked",
    "unable_to_verify_identity",
    "apple_pay_or_google_pay",
    "declined_cash_withdrawal",
    "transfer_fee_charged",
    "pending_card_payment",
    "top_up_reverted",
]
TEXTS_PER_INTENT = 75

# One small account files a flood of tickets about this intent; it gets that many texts on top of the usual.
LOUD_INTENT = "top_up_failed"
LOUD_TEXTS = 40

# Each large account mentions exactly one of these, once or twice: few mentions, a lot of ARR behind them.
LARGE_ACCOUNT_INTENTS = [
    "transfer_not_received_by_recipient",
    "exchange_rate",
    "declined_card_payment",
    "pending_transfer",
    "transaction_charged_twice",
    "balance_not_updated_after_bank_transfer",
    "cash_withdrawal_charge",
    "apple_pay_or_google_pay",
]


def texts_wanted(intent: str) -> int:
    return TEXTS_PER_INTENT + (LOUD_TEXTS if intent == LOUD_INTENT else 0)


def sample_read(path: Path = SAMPLE_PATH) -> dict[str, list[str]]:
    """The sample's texts by intent, in file order."""
    by_intent: dict[str, list[str]] = {intent: [] for intent in INTENTS}
    with open(path, newline="", encoding="utf-8") as sample:
        for row in csv.DictReader(sample):
            by_intent.setdefault(row["category"], []).append(row["text"])
    return by_intent

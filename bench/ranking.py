"""Does voc's ranking recover what matters from biased feedback? A synthetic check with a model-free ground truth.

    python -m bench.ranking [--seed N] [--seeds 20] [--json OUT]

Per seed: accounts with lognormal ARR; themes, each affecting a random set of accounts (independent of ARR). A
theme's true importance is the sum, over the accounts it affects, of the account value function voc's settings
declare (VOC_RANKING: floor + ln(1 + ARR / unit), with any tier or segment multipliers). Feedback is then observed
the way real feedback is biased:
- every affected account speaks at a heavy-tailed "loudness" rate (Pareto) that is independent of its ARR;
- about 10% of affected accounts never speak;
- mentions arrive over random sources (ticket, survey, sales note, social) at random times in the last 90 days;
- half of an account's social posts arrive with no resolved account (an unresolved handle);
- anonymous social noise is added to every theme.
voc's score (voc/ranking/scoring.py, default settings) is compared with two baselines, raw mention counts and the
sum of ARR over mentions, by NDCG@10 and Spearman correlation against the true importance.
Spam robustness: 100 more mentions from one account already in a theme, over the channels it already used and
within the span of what it already said, must raise that theme's score by at most 10%; the largest rise is reported.
"""

import argparse
import json
import math
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import numpy as np

from bench import django_setup, print_table

ACCOUNTS = 3_000
THEMES = 80
PERIOD_DAYS = 90
SILENT_SHARE = 0.10
SOURCES = [("ticket", 1.0), ("survey", 0.9), ("sales_note", 1.0), ("social", 0.5)]
UNRESOLVED_SOCIAL_SHARE = 0.5
SPAM_MENTIONS = 100
SPAM_TRIALS = 30
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def simulate(seed: int, policy) -> dict:
    from voc.ranking.scoring import AccountFacts, Mention, theme_score

    rng = np.random.default_rng(seed)
    arr = rng.lognormal(mean=math.log(30_000), sigma=1.4, size=ACCOUNTS)
    accounts = {a: AccountFacts(name=f"Account {a}", arr=Decimal(f"{arr[a]:.2f}")) for a in range(ACCOUNTS)}
    value = np.array([policy.account_value(arr[a]) for a in range(ACCOUNTS)])
    # How many accounts a theme affects: heavy-tailed too, from a handful to a few hundred.
    reach = np.clip(rng.lognormal(mean=math.log(25), sigma=1.0, size=THEMES), 3, 600).astype(int)
    loudness = (rng.pareto(1.2, size=ACCOUNTS) + 1.0)  # mentions per affected account, independent of ARR

    truth, voc, mentions_count, arr_sum, observed = [], [], [], [], []
    for theme in range(THEMES):
        affected = rng.choice(ACCOUNTS, size=reach[theme], replace=False)
        truth.append(float(value[affected].sum()))
        said: list = []
        for account in affected:
            if rng.random() < SILENT_SHARE:
                continue
            for _ in range(max(1, int(rng.poisson(loudness[account])))):
                kind, reliability = SOURCES[rng.integers(len(SOURCES))]
                when = NOW - timedelta(days=float(rng.uniform(0, PERIOD_DAYS)))
                if kind == "social" and rng.random() < UNRESOLVED_SOCIAL_SHARE:
                    said.append(Mention(None, f"@handle{account}", reliability, when))
                else:
                    said.append(Mention(int(account), "", reliability, when))
        for noise in range(int(rng.poisson(5))):
            when = NOW - timedelta(days=float(rng.uniform(0, PERIOD_DAYS)))
            said.append(Mention(None, f"@noise{theme}-{noise}", 0.5, when))
        observed.append(said)
        voc.append(theme_score(said, accounts, policy=policy, now=NOW).score)
        mentions_count.append(len(said))
        arr_sum.append(sum(arr[m.account_id] for m in said if m.account_id is not None))

    spam = _spam_rise(rng, observed, accounts, policy)
    truth_array = np.array(truth)
    return {
        method: {"ndcg10": ndcg_at(truth_array, np.array(scores), 10), "spearman": _spearman(truth_array, scores)}
        for method, scores in (("voc", voc), ("mentions", mentions_count), ("arr_sum", arr_sum))
    } | {"spam_robustness": spam}


def _spam_rise(rng, observed, accounts, policy) -> float:
    """The largest relative score rise from SPAM_MENTIONS more mentions by one account already in a theme."""
    from voc.ranking.scoring import Mention, theme_score

    worst = 0.0
    for _ in range(SPAM_TRIALS):
        said = observed[rng.integers(len(observed))]
        speakers = sorted({m.account_id for m in said if m.account_id is not None})
        if not speakers:
            continue
        account = speakers[rng.integers(len(speakers))]
        own = [m for m in said if m.account_id == account]
        first, last = min(m.occurred_at for m in own), max(m.occurred_at for m in own)
        # More of the same: over the channels it already used, within the time it already spoke. A more reliable
        # or more recent mention is new evidence and may lift the voice to its full value; volume may not.
        channels = [m.reliability for m in own]
        extra = [
            Mention(account, "", channels[rng.integers(len(channels))], first + (last - first) * rng.random())
            for _ in range(SPAM_MENTIONS)
        ]
        before = theme_score(said, accounts, policy=policy, now=NOW).score
        after = theme_score(said + extra, accounts, policy=policy, now=NOW).score
        worst = max(worst, after / before - 1)
    return worst


def ndcg_at(truth: np.ndarray, scores: np.ndarray, k: int) -> float:
    """NDCG@k with the true importance as the gain (linear gains, log2 discount)."""
    discount = 1 / np.log2(np.arange(2, k + 2))
    ranked = truth[np.argsort(-scores, kind="stable")[:k]]
    ideal = np.sort(truth)[::-1][:k]
    return float((ranked * discount[: len(ranked)]).sum() / (ideal * discount[: len(ideal)]).sum())


def _spearman(truth: np.ndarray, scores) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(truth, np.array(scores, dtype=float)).statistic)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, help="run this one seed only")
    parser.add_argument("--seeds", type=int, default=20, help="run seeds 0..N-1 (default 20)")
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    django_setup()
    from voc.ranking.scoring import WeightPolicy

    policy = WeightPolicy.from_settings()
    seeds = [args.seed] if args.seed is not None else list(range(args.seeds))
    results = {seed: simulate(seed, policy) for seed in seeds}

    methods = ("voc", "mentions", "arr_sum")
    print(f"{ACCOUNTS:,} accounts, {THEMES} themes per seed; NDCG@10 and Spearman against the true importance\n")
    rows = []
    for seed, result in results.items():
        beats = all(result["voc"][key] > result[other][key] for other in methods[1:] for key in ("ndcg10", "spearman"))
        rows.append(
            [seed]
            + [f"{result[m]['ndcg10']:.3f}" for m in methods]
            + [f"{result[m]['spearman']:.3f}" for m in methods]
            + [f"{100 * result['spam_robustness']:.1f}%", "yes" if beats else "NO"]
        )
    print_table(
        ["seed", "voc NDCG@10", "mentions NDCG@10", "arr_sum NDCG@10", "voc Spearman", "mentions Spearman",
         "arr_sum Spearman", "spam rise", "voc beats both"],
        rows,
    )
    summary = {
        method: {
            "ndcg10": float(np.mean([r[method]["ndcg10"] for r in results.values()])),
            "ndcg10_min": float(min(r[method]["ndcg10"] for r in results.values())),
            "spearman": float(np.mean([r[method]["spearman"] for r in results.values()])),
            "spearman_min": float(min(r[method]["spearman"] for r in results.values())),
        }
        for method in methods
    }
    summary["spam_robustness"] = float(max(r["spam_robustness"] for r in results.values()))
    summary["per_seed"] = {str(seed): result for seed, result in results.items()}
    print(
        f"\nmean NDCG@10: voc {summary['voc']['ndcg10']:.3f} (min {summary['voc']['ndcg10_min']:.3f}), "
        f"mentions {summary['mentions']['ndcg10']:.3f}, arr_sum {summary['arr_sum']['ndcg10']:.3f}\n"
        f"mean Spearman: voc {summary['voc']['spearman']:.3f}, mentions {summary['mentions']['spearman']:.3f}, "
        f"arr_sum {summary['arr_sum']['spearman']:.3f}\n"
        f"spam robustness: {SPAM_MENTIONS} more mentions from one account raised a theme's score by at most "
        f"{100 * summary['spam_robustness']:.1f}% ({SPAM_TRIALS} trials per seed)"
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

"""Does voc's ranking recover what matters from biased feedback? A synthetic check with a model-free ground truth.

    python -m bench.ranking [--seed N] [--seeds 20] [--anonymous-share 0.0] [--json OUT]

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

--anonymous-share S: that share of the people has no account (public posts, app reviews): each of them is worth
the anonymous value in the true importance and speaks only as an unresolved author, over the sources open to
someone without an account (ticket from an unknown email, survey, social). With 1.0 every voice is anonymous and
the true importance is the number of distinct voices a theme has (times a constant, which NDCG and Spearman
ignore); the sum of ARR baseline is then all zero and left out. Between 0 and 1 the cap on anonymous voices departs
from that linear truth on purpose (anonymous posts never outweigh a theme's accounts), so the endpoints are the
targets. Ties: pairs of themes with different numbers of distinct voices but the same voc score (to 9 significant
digits); there must be none.
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
# Someone without an account writes in, answers a survey or posts in public; nobody files a sales note about them.
ANONYMOUS_SOURCES = [("ticket", 1.0), ("survey", 0.9), ("social", 0.5)]
UNRESOLVED_SOCIAL_SHARE = 0.5
SPAM_MENTIONS = 100
SPAM_TRIALS = 30
NOW = datetime(2026, 11, 1, tzinfo=UTC)


def simulate(seed: int, policy, anonymous_share: float = 0.0) -> dict:
    from voc.ranking.scoring import AccountFacts, Mention, theme_score

    rng = np.random.default_rng(seed)
    arr = rng.lognormal(mean=math.log(30_000), sigma=1.4, size=ACCOUNTS)
    # Who has no account comes from a generator of its own, so that share 0 draws exactly what it always drew.
    without_account = np.random.default_rng([seed, 1]).random(ACCOUNTS) < anonymous_share
    accounts = {
        a: AccountFacts(name=f"Account {a}", arr=Decimal(f"{arr[a]:.2f}")) for a in range(ACCOUNTS)
        if not without_account[a]
    }
    value = np.array([
        policy.anonymous_value if without_account[a] else policy.account_value(arr[a]) for a in range(ACCOUNTS)
    ])
    # How many accounts a theme affects: heavy-tailed too, from a handful to a few hundred.
    reach = np.clip(rng.lognormal(mean=math.log(25), sigma=1.0, size=THEMES), 3, 600).astype(int)
    loudness = (rng.pareto(1.2, size=ACCOUNTS) + 1.0)  # mentions per affected account, independent of ARR

    truth, voc, mentions_count, arr_sum, observed, voices = [], [], [], [], [], []
    for theme in range(THEMES):
        affected = rng.choice(ACCOUNTS, size=reach[theme], replace=False)
        truth.append(float(value[affected].sum()))
        said: list = []
        for account in affected:
            if rng.random() < SILENT_SHARE:
                continue
            for _ in range(max(1, int(rng.poisson(loudness[account])))):
                if without_account[account]:
                    reliability = ANONYMOUS_SOURCES[rng.integers(len(ANONYMOUS_SOURCES))][1]
                    when = NOW - timedelta(days=float(rng.uniform(0, PERIOD_DAYS)))
                    said.append(Mention(None, f"@person{account}", reliability, when))
                    continue
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
        voices.append(len({m.author if m.account_id is None else m.account_id for m in said}))

    spam = _spam_rise(rng, observed, accounts, policy)
    truth_array = np.array(truth)
    scores_of = {"voc": voc, "mentions": mentions_count, "arr_sum": arr_sum}
    return {
        method: {
            "ndcg10": ndcg_at(truth_array, np.array(scores_of[method]), 10),
            "spearman": _spearman(truth_array, scores_of[method]),
        }
        for method in methods_for(anonymous_share)
    } | {"spam_robustness": spam, "ties": ties(voices, voc)}


def methods_for(anonymous_share: float) -> tuple[str, ...]:
    """With no accounts at all every theme's sum of ARR is zero: no ranking to compare."""
    return ("voc", "mentions") if anonymous_share >= 1 else ("voc", "mentions", "arr_sum")


def ties(voices: list[int], scores: list[float]) -> int:
    """Pairs of themes with different numbers of distinct voices and the same score (to 9 significant digits)."""
    return sum(
        1
        for first in range(len(scores))
        for second in range(first + 1, len(scores))
        if voices[first] != voices[second] and math.isclose(scores[first], scores[second], rel_tol=1e-9)
    )


def _spam_rise(rng, observed, accounts, policy) -> float | None:
    """The largest relative score rise from SPAM_MENTIONS more mentions by one account already in a theme.

    None when no theme has an account to repeat itself.
    """
    from voc.ranking.scoring import Mention, theme_score

    worst = None
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
        worst = max(worst or 0.0, after / before - 1)
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
    parser.add_argument(
        "--anonymous-share", type=float, default=0.0,
        help="share of people with no account, 0 to 1 (default 0); 1.0: every voice anonymous, true importance = "
             "distinct voices",
    )
    parser.add_argument("--json", help="write the figures here")
    args = parser.parse_args()
    if not 0 <= args.anonymous_share <= 1:
        parser.error("--anonymous-share must be between 0 and 1")
    django_setup()
    from voc.ranking.scoring import WeightPolicy

    policy = WeightPolicy.from_settings()
    seeds = [args.seed] if args.seed is not None else list(range(args.seeds))
    results = {seed: simulate(seed, policy, args.anonymous_share) for seed in seeds}

    methods = methods_for(args.anonymous_share)
    without = f" ({args.anonymous_share:.0%} of them with no account)" if args.anonymous_share else ""
    print(f"{ACCOUNTS:,} people{without}, {THEMES} themes per seed; NDCG@10 and Spearman against the true importance\n")
    rows = []
    for seed, result in results.items():
        beats = all(result["voc"][key] > result[other][key] for other in methods[1:] for key in ("ndcg10", "spearman"))
        spam = result["spam_robustness"]
        rows.append(
            [seed]
            + [f"{result[m]['ndcg10']:.3f}" for m in methods]
            + [f"{result[m]['spearman']:.3f}" for m in methods]
            + ["n/a" if spam is None else f"{100 * spam:.1f}%", result["ties"], "yes" if beats else "NO"]
        )
    print_table(
        ["seed"] + [f"{m} NDCG@10" for m in methods] + [f"{m} Spearman" for m in methods]
        + ["spam rise", "ties", f"voc beats {'both' if len(methods) == 3 else 'mentions'}"],
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
    rises = [r["spam_robustness"] for r in results.values() if r["spam_robustness"] is not None]
    summary["spam_robustness"] = float(max(rises)) if rises else None
    summary["ties"] = int(sum(r["ties"] for r in results.values()))
    summary["anonymous_share"] = args.anonymous_share
    summary["per_seed"] = {str(seed): result for seed, result in results.items()}
    print(
        "\nmean NDCG@10: "
        + f"voc {summary['voc']['ndcg10']:.3f} (min {summary['voc']['ndcg10_min']:.3f}), "
        + ", ".join(f"{m} {summary[m]['ndcg10']:.3f}" for m in methods[1:])
        + "\nmean Spearman: "
        + ", ".join(f"{m} {summary[m]['spearman']:.3f}" for m in methods)
        + f"\nties: {summary['ties']} pairs of themes with different numbers of distinct voices scored the same"
        + "\nspam robustness: "
        + (
            "n/a (no accounts)" if not rises else
            f"{SPAM_MENTIONS} more mentions from one account raised a theme's score by at most "
            f"{100 * summary['spam_robustness']:.1f}% ({SPAM_TRIALS} trials per seed)"
        )
    )
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(summary, handle, indent=2)
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()

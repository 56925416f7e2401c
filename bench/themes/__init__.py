"""Theme discovery quality and cost: voc's themes against BERTopic and k-means told k, on labelled texts.

    python -m bench.themes [--csv PATH --text-col text --label-col label] [--json OUT] [--shuffle-seed N]
    python -m bench.themes --limit 600                   # a stratified subset: every label keeps its share
    python -m bench.themes --intents 30 --per-intent 20  # a young product: 30 labels drawn, 20 texts of each
    python -m bench.themes --sizes 600,1500,30x20,all    # voc against BERTopic at each size, one summary table
    python -m bench.themes --scale 100000
    python -m bench.themes --csv composed.csv --label-col labels --multi-label  # several problems an item

Default data: BANKING77 (train + test, 13,083 texts, 77 intents) from ../shared/datasets/banking77 beside the repo.
Every stage runs in its own fresh process so that its peak memory (ru_maxrss) is its own; vectors travel between
stages as .npy files. The BERTopic row needs `pip install -r requirements-bench.txt`.

Besides clustering scores, it judges what a person sees of a theme: theme purity (the mean share of a theme's
members that carry its majority label), quote purity (the share of the quotes shown that carry their theme's
majority label; BERTopic's quotes are its representative documents) and, for voc, its names. --shuffle-seed N runs
voc again on the texts in a shuffled order and reports how much the themes and names depend on that order.
"""

from bench.themes.data import load_dataset

__all__ = ["load_dataset"]

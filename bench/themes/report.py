"""What a run prints: the comparison table with its notes and judgement, the table of sizes, the scale table."""

from bench import print_table
from bench.themes.stages import FP32_BATCH_SIZE, SCALE_NOISE


def _figure(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _per_method(results: dict, key: str) -> str:
    """'voc 0.912, bertopic 0.874' for the methods that have a figure under key."""
    return ", ".join(
        f"{method} {result[key]:.3f}" for method, result in results.items() if result.get(key) is not None
    ) or "-"


def print_comparison(results: dict, dataset: dict) -> None:
    print(f"\n{dataset['name']}: {dataset['texts']:,} texts, {dataset['labels']} labels\n")
    headers = ["method", "NMI", "ARI", "ACC", "themes", "unsorted %", "embed texts/s", "cluster s",
               "end-to-end s", "peak MB"]
    rows = []
    for method in ("voc", "bertopic", "kmeans_k_given"):
        row = results[method]
        if "error" in row:
            rows.append([method, row["error"]])
            continue
        rows.append([
            method, f"{row['nmi']:.3f}", f"{row['ari']:.3f}", f"{row['acc']:.3f}", row["themes"],
            f"{row['unsorted_pct']:.1f}", f"{row['embed_texts_per_s']:,.0f}", f"{row['cluster_s']:,.1f}",
            f"{row['end_to_end_s']:,.1f}", f"{row['peak_mem_mb']:,.0f}",
        ])
    print_table(headers, rows)

    voc, bertopic, kmeans = results["voc"], results["bertopic"], results["kmeans_k_given"]
    print(
        f"\nvoc: encoder {voc['encoder']} on texts cleaned as in production; k inferred; end-to-end includes "
        f"naming ({voc['name_s']:.1f} s).\n"
        f"bertopic, kmeans_k_given: one shared fp32 sentence-transformers embedding of the raw texts (batch "
        f"{FP32_BATCH_SIZE}); their end-to-end includes that embedding time. bertopic's clustering time includes "
        f"its c-TF-IDF topic words and numba compiling UMAP/HDBSCAN on first use, as any fresh process pays.\n"
        f"Embedding rates exclude loading the model (voc {voc['model_load_s']:.1f} s, fp32 "
        f"{kmeans['model_load_s']:.1f} s). Peak MB: the largest ru_maxrss among a method's stages, each run in "
        f"its own process (embedding, then clustering); one process doing both would also hold the model there."
    )
    print(f"\nembedding speed-up, voc over fp32:       {voc['embed_texts_per_s'] / kmeans['embed_texts_per_s']:.2f}x")
    if "error" in bertopic:
        print("end-to-end speed-up, voc over bertopic:  n/a (bertopic " + bertopic["error"] + ")")
    else:
        print(f"end-to-end speed-up, voc over bertopic:  {bertopic['end_to_end_s'] / voc['end_to_end_s']:.2f}x")
    _print_judgement(results)


def _print_judgement(results: dict) -> None:
    voc = results["voc"]
    print(
        f"\ntheme purity: {_per_method(results, 'theme_purity')} (mean share of a theme's members that carry its "
        f"majority label; unsorted items left out)\n"
        f"quote purity: {_per_method(results, 'quote_purity')} (share of the quotes shown, bertopic's being its "
        f"representative documents, that carry their theme's majority label)\n"
        f"voc name quality: {voc['name_quality']:.3f} (share of themes whose name is nearer, by embedding, to their "
        f"majority label than to any other label)\n"
        f"voc name-label cosine: {_figure(voc['name_label_cosine'])} (mean cosine between the embeddings of a "
        f"theme's name and of its majority label)"
    )
    if "order_ari" in voc:
        same_names = "-" if voc["order_same_names"] is None else f"{voc['order_same_names']:.0%}"
        print(
            f"voc on the same texts shuffled (seed {voc['shuffle_seed']}): ARI {voc['order_ari']:.3f} against the "
            f"themes in data order; {same_names} of its names came back"
        )
    print("\nexample names (majority label -> name):")
    for label, name in voc["example_names"].items():
        print(f"  {label} -> {name!r}")


def print_sizes(sizes: dict) -> None:
    print()
    for label, size in sizes.items():
        dataset = size["dataset"]
        print(f"size {label}: {dataset['name']}: {dataset['texts']:,} texts, {dataset['labels']} labels")
    print()
    headers = ["size", "method", "NMI", "ARI", "themes", "unsorted %", "theme purity", "quote purity",
               "name quality", "cluster s"]
    rows = []
    for label, size in sizes.items():
        for method in ("voc", "bertopic"):
            row = size[method]
            if "error" in row:
                rows.append([label, method, row["error"]])
                continue
            rows.append([
                label, method, f"{row['nmi']:.3f}", f"{row['ari']:.3f}", row["themes"], f"{row['unsorted_pct']:.1f}",
                _figure(row["theme_purity"]), _figure(row["quote_purity"]), _figure(row.get("name_quality")),
                f"{row['cluster_s']:,.1f}",
            ])
    print_table(headers, rows)
    print(
        "\nEach size's texts take their rows of one embedding (voc's encoder for voc, fp32 for bertopic). cluster s: "
        "voc's clustering without naming; bertopic's fit (UMAP, HDBSCAN, c-TF-IDF topic words).\n"
    )
    for label, size in sizes.items():
        voc, bertopic = size["voc"], size["bertopic"]
        if "error" in bertopic:
            print(f"size {label}: voc NMI {voc['nmi']:.3f}; bertopic {bertopic['error']}")
            continue
        verdict = "at least" if voc["nmi"] >= bertopic["nmi"] else "below"
        print(f"size {label}: voc NMI {voc['nmi']:.3f} is {verdict} bertopic's {bertopic['nmi']:.3f}")


def print_scale(result: dict) -> None:
    print(
        f"\nScale: themes_cluster on {result['items']:,} synthetic vectors. They are vectors, not texts: normalised "
        f"mixtures of two random real vectors of the same label (plus noise of {SCALE_NOISE} of a unit length), "
        f"from {result['real_texts']:,} real texts embedded once with {result['encoder']}. Embedding "
        f"{result['items']:,} texts at the {result['embed_texts_per_s']:,.0f} texts/s measured here would take "
        f"~{result['items'] / result['embed_texts_per_s'] / 60:.0f} min and time the encoder, not the clustering.\n"
    )
    print_table(
        ["items", "fit sample", "themes", "unsorted %", "cluster s", "of which assign all s", "peak MB",
         "vector matrix MB", "NMI vs source label"],
        [[result["items"], result["fit_sample"], result["themes"], f"{result['unsorted_pct']:.1f}",
          f"{result['cluster_s']:.1f}", f"{result['assign_s']:.1f}", f"{result['peak_mb']:,.0f}",
          f"{result['matrix_mb']:,.0f}", f"{result['nmi_vs_source_label']:.3f}"]],
    )
    print("\ncluster s = fit on the sample + assign every item; peak MB is that process's ru_maxrss, matrix included.")

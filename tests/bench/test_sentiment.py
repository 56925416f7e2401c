"""The sentiment benchmark: how it scores, and what --csv and --json give on a tiny labelled file."""

import json

import pytest

from bench.sentiment import main, scores, sign_label, vader_compounds, vader_label

TINY = [
    ("How do I change my PIN?", "neutral"),
    ("The app keeps crashing and I lost my work, terrible", "negative"),
    ("Love the new dashboard, great job", "positive"),
    ("@acme thanks!", "positive"),
]


def csv_write(path, rows, header=("text", "label")):
    lines = [",".join(header)] + [f'"{text}",{label}' for text, label in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_three_class_scores_are_accuracy_and_macro_f1_over_the_three_classes():
    gold = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "positive", "neutral", "positive"]

    # F1: negative 2/3 (precision 1, recall 1/2), neutral 1, positive 2/3 (precision 1/2, recall 1).
    assert scores(gold, predicted) == {"accuracy": 0.75, "macro_f1": pytest.approx(0.7778, abs=1e-4)}


def test_on_two_class_data_a_neutral_reading_is_wrong_and_macro_f1_averages_negative_and_positive():
    gold = ["negative", "positive", "positive"]
    predicted = ["negative", "neutral", "positive"]

    # F1: negative 1, positive 2/3 (precision 1, recall 1/2); neutral is no class of its own here.
    assert scores(gold, predicted) == {"accuracy": pytest.approx(0.6667, abs=1e-4), "macro_f1": 0.8333}


def test_two_class_readings_are_the_sign_of_the_score_and_vader_uses_its_own_thresholds():
    assert [sign_label(score) for score in (-0.01, 0.0, 0.01)] == ["negative", "neutral", "positive"]
    assert [vader_label(compound) for compound in (-0.05, -0.049, 0.049, 0.05)] == [
        "negative", "neutral", "neutral", "positive",
    ]


def test_a_labelled_csv_gives_voc_and_vader_figures_under_the_documented_keys(tmp_path, capsys):
    path = csv_write(tmp_path / "posts.csv", TINY)
    out = tmp_path / "out.json"

    main(["--csv", str(path), "--json", str(out)])

    result = json.loads(out.read_text())
    assert {"voc.macro_f1", "voc.accuracy", "vader.macro_f1", "vader.accuracy"} <= set(result)
    assert result["texts"] == 4
    # voc reads all four as labelled; VADER reads each text's compound with its own thresholds.
    assert result["voc"] == {"accuracy": 1.0, "macro_f1": 1.0}
    assert result["voc.accuracy"] == result["voc"]["accuracy"] == 1.0
    vader = [vader_label(compound) for compound in vader_compounds([text for text, _ in TINY])]
    assert result["vader"] == scores([label for _, label in TINY], vader)
    assert result["vader.macro_f1"] == result["vader"]["macro_f1"]
    table = capsys.readouterr().out
    assert "posts.csv" in table
    assert "Macro-F1" in table


def test_a_csv_without_neutral_labels_is_scored_by_the_sign_of_each_score(tmp_path):
    path = csv_write(tmp_path / "reviews.csv", [TINY[1], TINY[2]], header=("sentence", "polarity"))

    result = main(["--csv", str(path), "--text-col", "sentence", "--label-col", "polarity"])

    assert result["voc"] == {"accuracy": 1.0, "macro_f1": 1.0}


def test_a_label_other_than_negative_neutral_or_positive_is_refused_with_its_line(tmp_path):
    path = csv_write(tmp_path / "bad.csv", [("fine", "positive"), ("meh", "mixed")])

    with pytest.raises(SystemExit, match="line 3: label 'mixed'"):
        main(["--csv", str(path)])

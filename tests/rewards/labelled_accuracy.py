"""grpo's accuracy reward against the labels of tests/data/accuracy_labelled.jsonl (written by
make_labelled_corpus.py: each pair is equivalent or not by construction).

Prints precision, recall and accuracy per class and every wrong verdict; fails below 99% accuracy
overall or below 97% in any class. A null score (gold not read) counts as a wrong verdict.
Usage: labelled_accuracy.py <path of the grpo program> <accuracy_labelled.jsonl>
"""
import collections
import json
import sys

from score_util import grpo_score

grpo, corpus = sys.argv[1], sys.argv[2]
rows = [json.loads(line) for line in open(corpus, encoding="utf-8")]
scores = grpo_score(grpo, [{"completion": r["completion"], "solution": r["solution"]} for r in rows], "accuracy")

per_class = collections.defaultdict(collections.Counter)
wrong = []
for row, score in zip(rows, scores, strict=True):
    verdict = None if score is None else score == 1.0
    counts = per_class[row["class"]]
    counts["rows"] += 1
    counts["null"] += verdict is None
    counts["tp"] += verdict is True and row["label"]
    counts["fp"] += verdict is True and not row["label"]
    counts["fn"] += verdict is not True and row["label"]
    if verdict is not row["label"]:
        wrong.append((row, verdict))


def rates(c):
    """Precision and recall of the verdict 'equivalent' (1.0 when undefined)."""
    precision = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 1.0
    recall = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 1.0
    return precision, recall


total = sum(per_class.values(), collections.Counter())
print(f"{'class':20s} {'rows':>5s} {'prec':>7s} {'recall':>7s} {'acc':>7s} {'null':>5s}")
failed = False
for name, counts in sorted(per_class.items()) + [("all", total)]:
    precision, recall = rates(counts)
    accuracy = 1 - sum(1 for r, _ in wrong if name in ("all", r["class"])) / counts["rows"]
    print(f"{name:20s} {counts['rows']:5d} {100 * precision:6.1f}% {100 * recall:6.1f}% {100 * accuracy:6.1f}% "
          f"{counts['null']:5d}")
    failed |= accuracy < (0.99 if name == "all" else 0.97)
for row, verdict in wrong:
    print(f"WRONG [{row['class']}] label={row['label']} grpo={verdict}: {row['completion']!r} vs {row['solution']!r}")
sys.exit(1 if failed else 0)

"""Agreement of grpo's accuracy reward with TRL's accuracy_reward (math-verify) on the corpus.

Prints agreement overall and per category and every disagreement; fails below 98% agreement.
Usage: parity_accuracy.py <path of the grpo program> <accuracy_corpus.jsonl> [--markdown]
"""
import collections
import json
import logging
import sys

from score_util import grpo_score
from trl.rewards import accuracy_reward

logging.disable(logging.WARNING)
grpo, corpus = sys.argv[1], sys.argv[2]
markdown = "--markdown" in sys.argv[3:]
rows = [json.loads(line) for line in open(corpus)]
ours = grpo_score(grpo, [{"completion": r["completion"], "solution": r["solution"]} for r in rows], "accuracy")
reference = accuracy_reward([[{"content": r["completion"]}] for r in rows], [r["solution"] for r in rows])

per_category = collections.defaultdict(lambda: [0, 0])
disagreements = []
for row, a, b in zip(rows, ours, reference, strict=True):
    stats = per_category[row["category"]]
    stats[1] += 1
    if a == b:
        stats[0] += 1
    else:
        disagreements.append((row, a, b))
agree = sum(s[0] for s in per_category.values())
overall = agree / len(rows)
if markdown:
    print("| category | rows | agree | agreement |\n|---|---:|---:|---:|")
    for name, (ok, total) in per_category.items():
        print(f"| {name} | {total} | {ok} | {100 * ok / total:.1f}% |")
    print(f"| **all** | {len(rows)} | {agree} | {100 * overall:.2f}% |\n")
    print("| category | completion | solution | grpo | math-verify |\n|---|---|---|---:|---:|")
    for row, a, b in disagreements:
        cell = lambda s: "`" + s.replace("|", "\\|").replace("\n", "\\n") + "`"
        print(f"| {row['category']} | {cell(row['completion'])} | {cell(row['solution'])} | {a} | {b} |")
else:
    for name, (ok, total) in per_category.items():
        print(f"{name:18s} {ok:5d}/{total:<5d} {100 * ok / total:6.1f}%")
    print(f"{'all':18s} {agree:5d}/{len(rows):<5d} {100 * overall:6.2f}%")
    for row, a, b in disagreements:
        print(f"DISAGREE [{row['category']}] grpo={a} math-verify={b}: {row['completion']!r} vs {row['solution']!r}")
sys.exit(0 if overall >= 0.98 else 1)

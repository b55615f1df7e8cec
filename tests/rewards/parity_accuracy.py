"""Agreement of grpo's accuracy reward with TRL's accuracy_reward (math-verify) on the corpus.

Prints agreement overall and per category and every disagreement. A disagreement is explained when
it falls under one of the documented rules below, where grpo is right by design and math-verify is
not (docs/rewards.md, "Accuracy agreement with math-verify"); the test fails when the rows that
agree or are explained fall below 98%.
Usage: parity_accuracy.py <path of the grpo program> <accuracy_corpus.jsonl> [--markdown]
"""
import collections
import json
import logging
import re
import sys

from score_util import grpo_score
from trl.rewards import accuracy_reward

logging.disable(logging.WARNING)
grpo, corpus = sys.argv[1], sys.argv[2]
markdown = "--markdown" in sys.argv[3:]
rows = [json.loads(line) for line in open(corpus)]
ours = grpo_score(grpo, [{"completion": r["completion"], "solution": r["solution"]} for r in rows], "accuracy")
reference = accuracy_reward([[{"content": r["completion"]}] for r in rows], [r["solution"] for r in rows])


def boxed(text):
    return re.findall(r"\\boxed\{([^{}]*)\}", text)


# Each rule: (name, predicate on (row, grpo score, math-verify score)).
EXPLAINED = [
    # math-verify evaluates a decimal mantissa as a binary float (9.3 x 10^2 = 930.0000000000001)
    # and reads 1.5e3 as 1.5 * e * 3; grpo reads decimals exactly and e-notation as a power of ten.
    ("scientific notation read exactly", lambda r, a, b: a == 1.0 and b == 0.0 and (
        "\\times 10^" in r["completion"] or any(re.fullmatch(r"[0-9.]+e[0-9]+", x) for x in boxed(r["completion"])))),
    # math-verify takes every \boxed{} of a completion as a set; grpo takes the last one.
    ("the last box is the final answer", lambda r, a, b: a == 1.0 and b == 0.0 and len(boxed(r["completion"])) > 1),
    # A decimal gold is read to its written precision: 33.71 rounds to the gold 33.7 (math-verify
    # compares to 6 places).
    ("decimal gold read to its written precision", lambda r, a, b: a == 1.0 and b == 0.0 and re.fullmatch(
        r"\$?-?[0-9]+\.[0-9]+\$?", r["solution"]) is not None),
    # A gold written in \text{...}, or a common answer word such as "yes", is a text answer grpo can
    # read (math-verify scores the row null).
    ("text gold", lambda r, a, b: a == 0.0 and b is None and (
        r["solution"].startswith("\\text{") or r["solution"].strip().lower() in ("yes", "no", "no solution"))),
]

per_category = collections.defaultdict(lambda: [0, 0])
disagreements, explained = [], collections.Counter()
for row, a, b in zip(rows, ours, reference, strict=True):
    stats = per_category[row["category"]]
    stats[1] += 1
    if a == b:
        stats[0] += 1
        continue
    reason = next((name for name, rule in EXPLAINED if rule(row, a, b)), None)
    if reason is not None:
        explained[reason] += 1
    disagreements.append((row, a, b, reason))
agree = sum(s[0] for s in per_category.values())
overall = agree / len(rows)
unexplained = sum(1 for *_, reason in disagreements if reason is None)
if markdown:
    print("| category | rows | agree | agreement |\n|---|---:|---:|---:|")
    for name, (ok, total) in per_category.items():
        print(f"| {name} | {total} | {ok} | {100 * ok / total:.1f}% |")
    print(f"| **all** | {len(rows)} | {agree} | {100 * overall:.2f}% |\n")
    print("| category | completion | solution | grpo | math-verify | why |\n|---|---|---|---:|---:|---|")
    for row, a, b, reason in disagreements:
        cell = lambda s: "`" + s.replace("|", "\\|").replace("\n", "\\n") + "`"
        print(f"| {row['category']} | {cell(row['completion'])} | {cell(row['solution'])} | {a} | {b} | "
              f"{reason or 'UNEXPLAINED'} |")
else:
    for name, (ok, total) in per_category.items():
        print(f"{name:18s} {ok:5d}/{total:<5d} {100 * ok / total:6.1f}%")
    print(f"{'all':18s} {agree:5d}/{len(rows):<5d} {100 * overall:6.2f}%")
    for name, count in explained.items():
        print(f"explained: {count:4d} {name}")
    print(f"unexplained: {unexplained}")
    for row, a, b, reason in disagreements:
        print(f"DISAGREE [{row['category']}] ({reason or 'UNEXPLAINED'}) grpo={a} math-verify={b}: "
              f"{row['completion']!r} vs {row['solution']!r}")
sys.exit(0 if unexplained / len(rows) <= 0.02 else 1)

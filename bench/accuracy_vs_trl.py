"""grpo's accuracy reward vs TRL's accuracy_reward (math-verify) on the labelled corpus, side by side.

Scores every (completion, gold) pair of tests/data/accuracy_labelled.jsonl with `grpo score -r
accuracy` and with trl.rewards.accuracy_reward, and prints per class, for each: precision and
recall of the verdict "equivalent", accuracy against the labels, and null scores (gold not read;
a null counts as a wrong verdict). Then times both on 10,000 rows (the corpus repeated): `grpo score`
as a whole program, grpo's checker alone with its slowest single row (bench_accuracy, when given),
and TRL's accuracy_reward in this process.

usage: accuracy_vs_trl.py GRPO_PROGRAM [CORPUS] [--rows 10000] [--bench BENCH_ACCURACY_PROGRAM]
"""

import argparse
import collections
import json
import logging
import os
import subprocess
import sys
import tempfile
import time

from trl.rewards import accuracy_reward

here = os.path.dirname(os.path.abspath(__file__))
parser = argparse.ArgumentParser()
parser.add_argument("grpo")
parser.add_argument("corpus", nargs="?", default=os.path.join(here, "..", "tests", "data", "accuracy_labelled.jsonl"))
parser.add_argument("--rows", type=int, default=10000)
parser.add_argument("--bench", help="the bench_accuracy program (times the checker alone)")
parser.add_argument("--wrap-gold", action="store_true",
                    help="give TRL each gold inside $...$ (math-verify reads plain golds such as (x+3)^2 poorly)")
parser.add_argument("--no-timing", action="store_true", help="only the accuracy table")
args = parser.parse_args()
logging.disable(logging.WARNING)

rows = [json.loads(line) for line in open(args.corpus, encoding="utf-8")]


def grpo_scores(batch):
    """Scores with `grpo score`; returns (scores, seconds of the whole program run)."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False, encoding="utf-8") as f:
        for row in batch:
            f.write(json.dumps({"completion": row["completion"], "solution": row["solution"]}) + "\n")
        path = f.name
    start = time.perf_counter()
    result = subprocess.run([args.grpo, "score", "-i", path, "-r", "accuracy"], capture_output=True, text=True)
    seconds = time.perf_counter() - start
    os.unlink(path)
    if result.returncode != 0:
        sys.exit(f"grpo score failed: {result.stderr}")
    return [json.loads(line)["accuracy"] for line in result.stdout.splitlines()], seconds


def trl_gold(text):
    if args.wrap_gold and "$" not in text and "\\boxed" not in text:
        return f"${text}$"
    return text


def trl_scores(batch):
    start = time.perf_counter()
    scores = accuracy_reward([[{"content": r["completion"]}] for r in batch], [trl_gold(r["solution"]) for r in batch])
    return scores, time.perf_counter() - start


def table(scores):
    per_class = collections.defaultdict(collections.Counter)
    for row, score in zip(rows, scores, strict=True):
        verdict = None if score is None else score == 1.0
        for name in (row["class"], "all"):
            c = per_class[name]
            c["rows"] += 1
            c["null"] += verdict is None
            c["right"] += verdict is row["label"]
            c["tp"] += verdict is True and row["label"]
            c["fp"] += verdict is True and not row["label"]
            c["fn"] += verdict is not True and row["label"]
    return per_class


def fmt(c):
    precision = 100 * c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 100.0
    recall = 100 * c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 100.0
    return f"{precision:5.1f} | {recall:5.1f} | {100 * c['right'] / c['rows']:5.1f} | {c['null']:3d}"


ours, _ = grpo_scores(rows)
theirs, _ = trl_scores(rows)
a, b = table(ours), table(theirs)
print("| class | rows | grpo precision | recall | accuracy | null | TRL precision | recall | accuracy | null |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
names = sorted(n for n in a if n != "all") + ["all"]
for name in names:
    label = f"**{name}**" if name == "all" else name
    print(f"| {label} | {a[name]['rows']} | {fmt(a[name])} | {fmt(b[name])} |")
fa, fb = a["all"], b["all"]
print(f"\nfalse accepts: grpo {fa['fp']}, TRL {fb['fp']}; false rejects (incl. null): grpo {fa['fn']}, TRL {fb['fn']}")

if args.no_timing:
    sys.exit(0)
big = (rows * (args.rows // len(rows) + 1))[: args.rows]
_, grpo_seconds = grpo_scores(big)
_, trl_seconds = trl_scores(big)
print(f"\n{args.rows} rows: grpo score {grpo_seconds:.2f} s (whole program: start, JSON, scoring), "
      f"TRL accuracy_reward {trl_seconds:.2f} s")
if args.bench:
    result = subprocess.run([args.bench, args.corpus, str(args.rows)], capture_output=True, text=True, check=True)
    stats = json.loads(result.stdout)
    print(f"grpo checker alone (bench_accuracy): {stats['seconds']:.3f} s for {stats['rows']} rows, "
          f"slowest row {stats['slowest_row_ms']:.2f} ms, budget refusals {stats['budget_refusals']}")

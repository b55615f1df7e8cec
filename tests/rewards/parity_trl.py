"""Parity of grpo's rewards with TRL's `trl.rewards` (exact equality on a generated corpus).

format (think-only mode) vs think_format_reward, repetition_penalty vs get_repetition_penalty_reward,
soft_overlong_punishment vs get_soft_overlong_punishment, cosine_length vs get_cosine_scaled_reward.
tag_count has no TRL counterpart; it is checked against open-r1's definition, restated below.
Usage: parity_trl.py <path of the grpo program>
"""
import random
import sys

from score_util import grpo_score
from trl.rewards import (get_cosine_scaled_reward, get_repetition_penalty_reward, get_soft_overlong_punishment,
                         think_format_reward)

grpo = sys.argv[1]
rng = random.Random(1234)
failures = 0


def compare(label, ours, reference):
    global failures
    bad = [i for i, (a, b) in enumerate(zip(ours, reference, strict=True)) if a != b]
    print(f"{label}: {len(ours) - len(bad)}/{len(ours)} equal")
    for i in bad[:5]:
        print(f"  row {i}: grpo {ours[i]!r} vs reference {reference[i]!r}")
    failures += len(bad)


# Format: completions assembled from tag fragments, so that every rule is exercised.
pieces = ["<think>", "</think>", "<answer>", "</answer>", "\n", " ", "reasoning", "42", "<think", "think>", "\n\n"]
texts = []
for _ in range(3000):
    parts = [rng.choice(pieces) for _ in range(rng.randint(0, 8))]
    if rng.random() < 0.6:
        parts.insert(0, "<think>")
    texts.append("".join(parts))
texts += ["", "<think>", "<think></think>", "<think>\nThis is my reasoning.\n</think>\nThis is my answer."]
rows = [{"completion": t} for t in texts]
compare("format (answer_tag empty) vs think_format_reward", grpo_score(grpo, rows, "format:answer_tag="),
        think_format_reward([[{"content": t}] for t in texts]))


def open_r1_tag_count(text):
    # open-r1 tag_count_reward: 0.25 for each of four newline-delimited markers present exactly once.
    markers = ["<think>\n", "\n</think>\n", "\n<answer>\n", "\n</answer>"]
    return sum(0.25 for m in markers if text.count(m) == 1)


compare("tag_count vs open-r1 tag_count_reward", grpo_score(grpo, rows, "tag_count"),
        [open_r1_tag_count(t) for t in texts])

# Token-id rewards: random id lists over small vocabularies, so that n-grams repeat.
ids = [[rng.randint(1, rng.choice([2, 3, 5, 50])) for _ in range(rng.randint(0, 40))] for _ in range(2000)]
id_rows = [{"completion": "", "completion_ids": x} for x in ids]
for ngram, penalty in [(1, -1.0), (2, -0.5), (3, -1.0), (4, -2.5)]:
    compare(f"repetition_penalty ngram_size={ngram} max_penalty={penalty}",
            grpo_score(grpo, id_rows, f"repetition_penalty:ngram_size={ngram},max_penalty={penalty}"),
            get_repetition_penalty_reward(ngram_size=ngram, max_penalty=penalty)(completion_ids=ids))

lengths = [[0] * n for n in range(0, 131)]
length_rows = [{"completion": "", "completion_ids": x} for x in lengths]
for max_len, cache in [(100, 20), (100, 0), (50, 50), (64, 7)]:
    compare(f"soft_overlong_punishment max_completion_len={max_len} soft_punish_cache={cache}",
            grpo_score(grpo, length_rows, f"soft_overlong_punishment:max_completion_len={max_len},soft_punish_cache={cache}"),
            get_soft_overlong_punishment(max_completion_len=max_len, soft_punish_cache=cache)(completion_ids=lengths))

# Cosine: answers whose correctness both sides read the same way (integers, fractions), random lengths.
answers = ["7", "8", "\\frac{1}{3}", "\\frac{2}{6}", "-4", "0.5", "\\frac{1}{2}", "12"]
golds = ["7", "\\frac{1}{3}", "0.5", "-4"]
cos_rows, completions, solutions, cos_ids = [], [], [], []
for _ in range(600):
    answer, gold, n = rng.choice(answers), rng.choice(golds), rng.randint(0, 320)
    text = f"<think>work</think> The answer is \\boxed{{{answer}}}"
    cos_rows.append({"completion": text, "completion_ids": [1] * n, "solution": f"${gold}$"})
    completions.append([{"content": text}])
    solutions.append(f"${gold}$")
    cos_ids.append([1] * n)
for params in [dict(max_len=100), dict(max_len=257, min_value_wrong=-2.0, max_value_wrong=-0.25,
                                       min_value_correct=0.1, max_value_correct=3.0)]:
    spec = "cosine_length:" + ",".join(f"{k}={v}" for k, v in params.items())
    compare(spec, grpo_score(grpo, cos_rows, spec),
            get_cosine_scaled_reward(**params)(completions, solutions, cos_ids))

print("FAILED" if failures else "all equal")
sys.exit(1 if failures else 0)

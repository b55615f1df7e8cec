"""Runs `grpo score` on rows and returns its rewards (shared by the parity scripts)."""
import json
import subprocess
import sys
import tempfile


def grpo_score(grpo, rows, reward_spec):
    """Scores `rows` (dicts) with one reward spec (NAME or NAME:k=v,...); returns one value per row."""
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
        path = f.name
    result = subprocess.run([grpo, "score", "-i", path, "-r", reward_spec], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"grpo score -r {reward_spec} failed: {result.stderr}")
    name = reward_spec.split(":")[0]
    return [json.loads(line)[name] for line in result.stdout.splitlines()]

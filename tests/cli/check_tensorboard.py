"""Reads grpo's TensorBoard event files back with TensorBoard's own reader (EventAccumulator) and
checks them against the run's JSON files:
  * every number of every metrics.jsonl line is scalar train/<key> at its step, equal as float32;
  * every evaluation in eval.jsonl is scalar eval/<key> at its step;
  * the config is a text summary, and each step in samples.jsonl has a `completions` text that
    holds that step's completions;
  * a final record cut short (a run killed mid-write) is skipped, and the records before it load.
Usage: check_tensorboard.py RUN_DIR [RUN_DIR...]"""
import glob
import json
import os
import shutil
import sys
import tempfile

import numpy as np
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

GUIDANCE = {"scalars": 0, "tensors": 0}  # keep every event


def load(logdir):
    acc = EventAccumulator(logdir, size_guidance=GUIDANCE)
    acc.Reload()
    return acc


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def expected_scalars(run):
    want = {}
    for line in read_jsonl(os.path.join(run, "metrics.jsonl")):
        for key, value in line.items():
            if key != "step" and isinstance(value, (int, float)) and not isinstance(value, bool):
                want.setdefault("train/" + key, {})[line["step"]] = value
    eval_path = os.path.join(run, "eval.jsonl")
    if os.path.exists(eval_path):
        for line in read_jsonl(eval_path):
            for key, value in line["eval"].items():
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    want.setdefault("eval/" + key, {})[line["step"]] = value
    return want


def text_of(event):
    return event.tensor_proto.string_val[0].decode()


def check_run(run):
    logdir = os.path.join(run, "runs")
    files = glob.glob(os.path.join(logdir, "events.out.tfevents.*"))
    assert len(files) == 1, f"{logdir}: want one event file, got {files}"
    acc = load(logdir)
    want = expected_scalars(run)
    have_tags = set(acc.Tags()["scalars"])
    assert have_tags == set(want), f"{run}: scalar tags differ: only in TensorBoard {have_tags - set(want)}, " \
                                   f"only in JSON {set(want) - have_tags}"
    count = 0
    for tag, steps in want.items():
        events = acc.Scalars(tag)
        got = {e.step: e.value for e in events}
        assert len(events) == len(steps) and set(got) == set(steps), f"{tag}: steps {sorted(got)} != {sorted(steps)}"
        for step, value in steps.items():
            assert np.float32(value) == np.float32(got[step]), f"{tag} at step {step}: {got[step]} != {value}"
            count += 1
    tensors = acc.Tags()["tensors"]
    assert "config" in tensors, f"{run}: no config text, tensors: {tensors}"
    config = json.loads(text_of(acc.Tensors("config")[0]).strip().removeprefix("```json").removesuffix("```"))
    with open(os.path.join(run, "config.json")) as f:
        assert config == json.load(f), "the config text differs from config.json"
    assert acc.SummaryMetadata("config").plugin_data.plugin_name == "text"
    samples_path = os.path.join(run, "samples.jsonl")
    texts = 1
    if os.path.exists(samples_path):
        samples = read_jsonl(samples_path)
        events = {e.step: text_of(e) for e in acc.Tensors("completions")}
        assert set(events) == {s["step"] for s in samples}, f"completions at {sorted(events)}"
        for s in samples:
            cell = s["completion"].replace("|", "\\|").replace("\n", "<br>")
            assert cell in events[s["step"]], f"step {s['step']}: {s['completion']!r} not in the completions text"
        texts += len(events)
    print(f"{run}: {count} scalars in {len(want)} tags and {texts} texts equal the JSON files")
    return files[0], count + texts


def check_truncated(event_file, events):
    # The file cut inside its last record: the reader must load all earlier records.
    with tempfile.TemporaryDirectory() as tmp:
        copy = os.path.join(tmp, os.path.basename(event_file))
        shutil.copy(event_file, copy)
        size = os.path.getsize(copy)
        with open(copy, "r+b") as f:
            f.truncate(size - 7)
        acc = load(tmp)
        loaded = sum(len(acc.Scalars(t)) for t in acc.Tags()["scalars"]) + \
                 sum(len(acc.Tensors(t)) for t in acc.Tags()["tensors"])
        assert loaded == events - 1, f"truncated file: {loaded} events loaded, want {events - 1}"
    print(f"a truncated final record is skipped ({events - 1} of {events} events load)")


def main():
    for run in sys.argv[1:]:
        event_file, events = check_run(run)
    check_truncated(event_file, events)
    print("tensorboard check: ok")


if __name__ == "__main__":
    main()

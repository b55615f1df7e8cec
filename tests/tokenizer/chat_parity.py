"""grpo's ChatTemplate against transformers' apply_chat_template.

    python chat_parity.py --renderer PATH/grpo_chat_render --workdir DIR

Templates: the original Qwen2.5 (ChatML with a default system message) and Llama 3 chat
templates as stored in TRL's chat_templates/ directory, each put in a tokenizer_config.json.
Conversations: 400 generated from the tokenizer corpus (make_corpus.py): with and without a
system message, 1 to 6 turns, contents with surrounding whitespace and special-token markup,
with and without the generation prompt. The rendered texts must be identical. Exit 77 (skip)
when transformers or TRL is missing.
"""

import argparse
import json
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus  # noqa: E402

try:
    import trl
    from tokenizers import Tokenizer, models
    from transformers import PreTrainedTokenizerFast
except ImportError as e:
    print(f"SKIPPED: transformers, tokenizers or trl is not importable ({e})")
    sys.exit(77)

TEMPLATES = {"qwen2_5": ("qwen2_5.jinja", None), "llama3": ("llama3.jinja", "<|begin_of_text|>")}


def conversations(n, seed):
    r = random.Random(seed)
    texts = make_corpus.valid_records(600, seed)
    out = []
    for _ in range(n):
        messages = []
        if r.random() < 0.5:
            messages.append({"role": "system", "content": r.choice(texts)})
        for turn in range(r.randint(1, 6)):
            content = r.choice(texts)
            if r.random() < 0.3:
                content = r.choice(["  ", "\n", "\u3000", "\t "]) + content + r.choice(["\n\n", " ", ""])
            messages.append({"role": "user" if turn % 2 == 0 else "assistant", "content": content})
        out.append({"messages": messages, "add_generation_prompt": r.random() < 0.5})
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", required=True, help="path of grpo_chat_render")
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    template_dir = os.path.join(os.path.dirname(trl.__file__), "chat_templates")
    convs = conversations(400, seed=7)
    conv_path = os.path.join(args.workdir, "conversations.jsonl")
    with open(conv_path, "w") as f:
        for c in convs:
            f.write(json.dumps(c) + "\n")

    failed = False
    for name, (file_name, bos) in TEMPLATES.items():
        with open(os.path.join(template_dir, file_name)) as f:
            chat_template = f.read()
        config = {"chat_template": chat_template, "bos_token": bos}
        config_path = os.path.join(args.workdir, f"{name}_tokenizer_config.json")
        with open(config_path, "w") as f:
            json.dump(config, f)
        tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(models.BPE()),
                                      **({"bos_token": bos} if bos else {}))
        tok.chat_template = chat_template
        expected = [tok.apply_chat_template(c["messages"], tokenize=False,
                                            add_generation_prompt=c["add_generation_prompt"])
                    for c in convs]
        out_path = os.path.join(args.workdir, f"{name}.jsonl")
        run = subprocess.run([args.renderer, config_path, conv_path, out_path], capture_output=True,
                             text=True)
        if run.returncode != 0:
            print(f"[{name}] FAILED: renderer exited {run.returncode}: {run.stderr.strip()[:500]}")
            failed = True
            continue
        with open(out_path) as f:
            ours = [json.loads(line)["text"] for line in f]
        bad = [i for i in range(len(convs)) if i >= len(ours) or ours[i] != expected[i]]
        print(f"[{name}] {len(convs)} conversations compared with apply_chat_template, "
              f"{len(bad)} differ")
        for i in bad[:3]:
            print(f"  conversation {i}:\n    transformers: {expected[i][:300]!r}\n"
                  f"    ours:         {ours[i][:300] if i < len(ours) else None!r}")
        failed |= bool(bad) or len(ours) != len(convs)
    print("FAILED" if failed else "OK: identical renderings")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

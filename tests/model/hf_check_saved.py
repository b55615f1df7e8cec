"""Loads a directory written by Policy::save_pretrained with transformers and checks that it
gives the reference logits: the proof that models trained here can be served by transformers.

Usage: hf_check_saved.py SAVED_DIR REFERENCE_DIR [--tokenizer-from MODEL_DIR]
REFERENCE_DIR/reference.safetensors comes from hf_pretrained_reference.py. With --tokenizer-from
(and a tokenizer.json in SAVED_DIR), the saved tokenizer must encode the prompts to the same ids.
Exits 77 (skipped) when there is no reference (SmolLM2 before its conversion), 1 on a mismatch.
"""
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

TOLERANCE = 1e-4


def main():
    saved, reference_dir = Path(sys.argv[1]), Path(sys.argv[2])
    tokenizer_from = Path(sys.argv[sys.argv.index("--tokenizer-from") + 1]) if "--tokenizer-from" in sys.argv else None
    if not (reference_dir / "reference.safetensors").exists():
        print(f"SKIPPED: no reference in {reference_dir}")
        sys.exit(77)
    reference = load_file(str(reference_dir / "reference.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(saved, dtype=torch.float32).eval()
    worst = 0.0
    prompts = sum(1 for k in reference if k.startswith("prompt_ids."))
    for i in range(prompts):
        with torch.no_grad():
            logits = model(input_ids=reference[f"prompt_ids.{i}"][None]).logits[0]
        worst = max(worst, (logits - reference[f"logits.{i}"]).abs().max().item())
    print(f"{saved}: transformers loads it; max abs logit difference {worst:.3g} over {prompts} prompts")
    if worst > TOLERANCE:
        sys.exit(f"FAIL: max abs logit difference {worst} > {TOLERANCE}")
    if tokenizer_from is not None and (saved / "tokenizer.json").exists():
        ours, theirs = AutoTokenizer.from_pretrained(saved), AutoTokenizer.from_pretrained(tokenizer_from)
        for i in range(prompts):
            text = theirs.decode(reference[f"prompt_ids.{i}"].tolist())
            if ours(text, add_special_tokens=False).input_ids != reference[f"prompt_ids.{i}"].tolist():
                sys.exit(f"FAIL: the saved tokenizer encodes prompt {i} differently")
        if ours.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False, add_generation_prompt=True) != \
                theirs.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                           add_generation_prompt=True):
            sys.exit("FAIL: the saved chat template renders differently")
        print("the saved tokenizer and chat template agree with the original")


if __name__ == "__main__":
    main()

"""Writes transformers' reference outputs for a model directory: for each prompt, the token ids
(`add_special_tokens=False`), the float32 logits of the whole prompt and the greedy continuation
(64 new tokens at most, stopping at the generation config's EOS ids as transformers does).

Usage: hf_pretrained_reference.py MODEL_DIR PROMPTS_JSON OUT_DIR
Writes OUT_DIR/reference.safetensors with `prompt_ids.<i>` (int64 [P]), `logits.<i>` (float32
[P, V]) and `greedy_ids.<i>` (int64, new tokens only). Exits 77 (skipped) when MODEL_DIR has no
config.json (SmolLM2 before `bash cmake/setup.sh models`).
"""
import json
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import save_file
from transformers import AutoModelForCausalLM, AutoTokenizer


def main():
    model_dir, prompts_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    if not (model_dir / "config.json").exists():
        print(f"SKIPPED: no model in {model_dir} (run `bash cmake/setup.sh models` for SmolLM2)")
        sys.exit(77)
    start = time.time()
    torch.manual_seed(0)
    torch.set_num_threads(2)
    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForCausalLM.from_pretrained(model_dir, dtype=torch.float32).eval()
    tensors = {}
    for i, prompt in enumerate(json.loads(prompts_path.read_text())):
        ids = tokenizer(prompt, add_special_tokens=False, return_tensors="pt").input_ids
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
            generated = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=64,
                                       pad_token_id=model.generation_config.pad_token_id)
        tensors[f"prompt_ids.{i}"] = ids[0].contiguous()
        tensors[f"logits.{i}"] = logits.float().contiguous()
        tensors[f"greedy_ids.{i}"] = generated[0, ids.shape[1]:].contiguous()
    out.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(out / "reference.safetensors"))
    print(f"{model_dir.name}: {len(tensors) // 3} prompts in {time.time() - start:.1f} s")


if __name__ == "__main__":
    main()

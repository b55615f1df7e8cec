"""Writes tests/data/accuracy_corpus.jsonl: (completion, solution, category) rows for the accuracy
parity test, from fixed seeds. Each category pairs a gold answer with equivalent and different
answers in the forms the category is about. Usage: make_accuracy_corpus.py <output path>
"""
import json
import random
import sys
from fractions import Fraction

rng = random.Random(20250101)
rows = []


def add(category, answer, gold, wrap_gold=True, template=None):
    text = (template or rng.choice(TEMPLATES)).format(answer=answer)
    rows.append({"category": category, "completion": text, "solution": f"${gold}$" if wrap_gold else gold})


TEMPLATES = [
    "<think>\nLet me compute.\n</think>\nThe final answer is \\boxed{{{answer}}}.",
    "We get \\boxed{{{answer}}}",
    "<think>steps</think><answer>\\boxed{{{answer}}}</answer>",
    "So the result is $\\boxed{{{answer}}}$.",
]


def other_int(n):
    return n + rng.choice([-3, -2, -1, 1, 2, 10])


for _ in range(60):  # integers, gold sometimes plain text
    n = rng.randint(0, 10**rng.randint(1, 12))
    add("integer", str(n), str(n), wrap_gold=rng.random() < 0.5)
    add("integer", str(other_int(n)), str(n), wrap_gold=rng.random() < 0.5)
for _ in range(50):
    n = -rng.randint(1, 5000)
    add("negative", str(n), str(n))
    add("negative", str(-n), str(n))
for _ in range(60):  # decimals vs decimals and vs fractions
    num, den = rng.randint(1, 999), rng.choice([2, 4, 5, 8, 10, 20, 25, 100])
    value = Fraction(num, den)
    decimal = f"{float(value):.6f}".rstrip("0").rstrip(".")
    add("decimal", decimal, f"\\frac{{{value.numerator}}}{{{value.denominator}}}")
    add("decimal", decimal, decimal)
    add("decimal", f"{float(value) + rng.choice([0.1, 0.01, 1]):.4f}", decimal)
for _ in range(70):  # fractions in all spellings
    a, b = rng.randint(1, 60), rng.randint(2, 60)
    k = rng.randint(1, 4)
    gold = f"\\frac{{{a}}}{{{b}}}"
    spelling = rng.choice(["\\frac{{{0}}}{{{1}}}", "\\dfrac{{{0}}}{{{1}}}", "{0}/{1}", "\\tfrac{{{0}}}{{{1}}}"])
    add("fraction", spelling.format(a * k, b * k), gold)
    add("fraction", spelling.format(a + 1, b), gold)
    add("fraction", f"-\\frac{{{a}}}{{{b}}}", f"-\\frac{{{a}}}{{{b}}}")
for _ in range(50):  # scientific notation written in LaTeX
    mantissa, exponent = rng.randint(11, 99), rng.randint(2, 9)
    value = mantissa * 10 ** (exponent - 1)
    add("scientific", f"{mantissa / 10}\\times 10^{{{exponent}}}", str(value))
    add("scientific", f"{mantissa / 10}\\times 10^{{{exponent + 1}}}", str(value))
for _ in range(4):  # scientific notation in e-notation (computer style)
    mantissa, exponent = rng.randint(11, 99), rng.randint(2, 6)
    add("scientific", f"{mantissa / 10}e{exponent}", str(mantissa * 10 ** (exponent - 1)))
for _ in range(50):  # thousands separators
    n = rng.randint(1000, 10**9)
    add("thousands", f"{n:,}", str(n))
    add("thousands", f"{n:,}".replace(",", "{,}"), str(n))
    add("thousands", f"{n + 1000:,}", str(n))
units = ["\\text{ cm}", "\\text{cm}", " cm", "\\%", "^\\circ", "\\text{ meters}", " units"]
for _ in range(60):  # units, percent, degrees, $ and \text decorations
    n = rng.randint(1, 500)
    add("units", f"{n}{rng.choice(units)}", str(n))
    add("units", f"{n + 1}{rng.choice(units)}", str(n))
    add("units", rng.choice([f"\\${n}", f"\\text{{{n}}}", f"\\left({n}\\right)", f"\\, {n}"]), str(n))
for _ in range(50):  # square roots
    a, b = rng.randint(2, 9), rng.choice([2, 3, 5, 6, 7])
    add("sqrt", f"{a}\\sqrt{{{b}}}", f"\\sqrt{{{a * a * b}}}")
    add("sqrt", f"\\sqrt{{{a * a * b}}}", f"{a}\\sqrt{{{b}}}")
    add("sqrt", f"{a}\\sqrt{{{b + 1}}}", f"{a}\\sqrt{{{b}}}")
    add("sqrt", f"\\frac{{\\sqrt{{{b}}}}}{{{b}}}", f"\\frac{{1}}{{\\sqrt{{{b}}}}}")
for _ in range(40):  # pi
    a, b = rng.randint(1, 12), rng.randint(1, 12)
    add("pi", f"\\frac{{{a}\\pi}}{{{b}}}", f"\\frac{{{a}}}{{{b}}}\\pi")
    add("pi", f"{a}\\pi", f"{a + 1}\\pi")
    add("pi", f"{a}\\pi", f"\\pi \\cdot {a}")
for _ in range(50):  # polynomials and rational expressions in one variable
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    add("algebra", f"x^2+{a + b}x+{a * b}", f"(x+{a})(x+{b})")
    add("algebra", f"x^2+{a + b + 1}x+{a * b}", f"(x+{a})(x+{b})")
    add("algebra", f"{a}x+{a * b}", f"{a}(x+{b})")
for _ in range(30):  # extraction: nested boxes, braces, answer tags with LaTeX
    n = rng.randint(1, 99)
    add("extraction", f"\\frac{{{n}}}{{{{{n + 1}}}}}", f"\\frac{{{n}}}{{{n + 1}}}")
    add("extraction", str(n), str(n), template="<think>maybe \\boxed{{0}} no</think> so \\boxed{{{answer}}}")
    add("extraction", str(n), str(n), template="The final answer is ${answer}$.")
for _ in range(3):  # several boxes: the last one is the answer
    n = rng.randint(1, 99)
    add("extraction", f"{n}", str(n), template="First \\boxed{{0}}, corrected: \\boxed{{{answer}}}")
for _ in range(25):  # malformed completions: never correct
    n = rng.randint(1, 99)
    add("malformed", str(n), str(n), template=rng.choice(
        ["\\boxed{{{answer}", "", "\\boxed{{}}", "<think>{answer}", "the answer is {answer} maybe", "\\boxed{{(((}}"]))
for gold in ["\\text{no solution}", "hello, world", "", "\\frac{1}{", "(((", "x \\in \\{", "yes"]:  # unparseable gold
    for _ in range(3):
        add("unparseable_gold", str(rng.randint(1, 9)), gold, wrap_gold=False)

with open(sys.argv[1], "w") as f:
    for row in rows:
        f.write(json.dumps(row) + "\n")
print(f"{len(rows)} rows")

"""Writes tests/data/accuracy_labelled.jsonl: (completion, solution, label, class) rows whose labels
are known by construction. Each row starts from a gold value and writes the answer either as an
equivalent rewrite (label true) or as a deliberately different value (label false), in the forms
its class is about. Deterministic (fixed seed). Usage: make_labelled_corpus.py <output path>
"""
import json
import math
import random
import sys
from fractions import Fraction

rng = random.Random(20260412)
rows = []

TEMPLATES = [
    "<think>\nLet me work it out.\n</think>\nThe final answer is \\boxed{{{answer}}}.",
    "We get $\\boxed{{{answer}}}$",
    "<think>steps</think>\n<answer>\n{answer}\n</answer>",
    "<think>steps</think><answer>\\boxed{{{answer}}}</answer>",
    "Therefore the answer is $\\boxed{{{answer}}}$.",
]


def add(cls, answer, gold, label, template=None):
    """One row; `answer` is wrapped in a completion template."""
    text = (template or rng.choice(TEMPLATES)).format(answer=answer)
    rows.append({"class": cls, "completion": text, "solution": gold, "label": bool(label)})


def add_completion(cls, completion, gold, label):
    rows.append({"class": cls, "completion": completion, "solution": gold, "label": bool(label)})


def frac_tex(f):
    f = Fraction(f)
    if f.denominator == 1:
        return str(f.numerator)
    sign = "-" if f < 0 else ""
    return f"{sign}\\frac{{{abs(f.numerator)}}}{{{f.denominator}}}"


def dec(f, places=None):
    """A terminating Fraction as a decimal string (exact)."""
    text = f"{float(f):.{places or 10}f}"
    return text.rstrip("0").rstrip(".") if places is None else text


def squarefree(n):
    return all(n % (k * k) for k in range(2, int(math.isqrt(n)) + 1))


# ---- integer
for _ in range(35):
    n = rng.randint(0, 10 ** rng.randint(1, 9))
    gold = rng.choice([str(n), f"${n}$", f"\\boxed{{{n}}}"])
    add("integer", rng.choice([str(n), f"{n}.0", f"+{n}" if n else str(n), f"{{{n}}}"]), gold, True)
    add("integer", str(n + rng.choice([-10, -1, 1, 2, 100])), gold, False)
# ---- negative
for _ in range(35):
    n = rng.randint(1, 99999)
    add("negative", rng.choice([f"-{n}", f"(-{n})", f"- {n}"]), f"-{n}", True)
    add("negative", rng.choice([str(n), f"-{n + 1}", f"+{n}"]), f"-{n}", False)
# ---- terminating decimals and fractions, exact
for _ in range(35):
    f = Fraction(rng.randint(1, 999), rng.choice([2, 4, 5, 8, 20, 25, 40]))
    gold = rng.choice([frac_tex(f), dec(f)])
    padded = dec(f) + "0" if "." in dec(f) else dec(f) + ".00"
    add("decimal_exact", rng.choice([dec(f), frac_tex(f), padded, f"{f.numerator}/{f.denominator}"]), gold, True)
    # Different values differ in a written digit of the gold (a decimal gold is read to its written
    # precision, so 230.51 would match 230.5).
    add("decimal_exact", rng.choice([dec(f + Fraction(1, 10)), dec(f * 10), dec(f + 1)]), gold, False)
# ---- rounded decimal golds: tolerance to the gold's written precision
for _ in range(35):
    kind = rng.choice(["sqrt", "frac", "pi"])
    if kind == "sqrt":
        k = rng.choice([n for n in range(2, 60) if squarefree(n)])
        exact, text = math.sqrt(k), f"\\sqrt{{{k}}}"
    elif kind == "frac":
        a, b = rng.randint(1, 99), rng.choice([3, 7, 9, 11, 13])
        if a % b == 0:
            a += 1
        exact, text = a / b, f"\\frac{{{a}}}{{{b}}}"
    else:
        k = rng.randint(1, 9)
        exact, text = k * math.pi, f"{k}\\pi"
    places = rng.randint(2, 4)
    gold = f"{exact:.{places}f}"
    finer = f"{exact:.{places + 2}f}"
    if abs(Fraction(finer) - Fraction(gold)) >= Fraction(1, 2 * 10**places):  # double rounding: skip
        continue
    add("rounded_decimal", rng.choice([finer, text, gold]), gold, True)
    unit = Fraction(1, 10**places)
    add("rounded_decimal", rng.choice([dec(Fraction(gold) + unit, places), dec(Fraction(gold) - 3 * unit, places),
                                       f"{exact:.{places - 1}f}" if f"{exact:.{places - 1}f}" != gold[:-1] else
                                       dec(Fraction(gold) + 2 * unit, places)]), gold, False)
# ---- fractions in all spellings
for _ in range(35):
    a, b = rng.randint(1, 60), rng.randint(2, 60)
    f = Fraction(a, b)
    if f.denominator == 1:
        continue
    k = rng.randint(2, 4)
    gold = frac_tex(f)
    spelling = rng.choice(["\\frac{{{0}}}{{{1}}}", "\\dfrac{{{0}}}{{{1}}}", "{0}/{1}", "\\tfrac{{{0}}}{{{1}}}",
                           "{{{0} \\over {1}}}", "\\frac{0}{1}" if max(a, b) < 10 else "{0}/{1}"])
    n, d = f.numerator * k, f.denominator * k
    add("fraction", spelling.format(n, d) if "\\frac{0}" not in spelling else
        f"\\frac{{{n}}}{{{d}}}", gold, True)
    wrong = rng.choice([Fraction(n, d + 1), Fraction(n + 1, d), Fraction(d, n) if n != d else Fraction(n + 2, d)])
    add("fraction", f"{wrong.numerator}/{wrong.denominator}" if rng.random() < 0.5 else frac_tex(wrong), gold,
        wrong == f)
# ---- scientific notation
for _ in range(35):
    mantissa = Fraction(rng.randint(101, 999), 100)
    exponent = rng.randint(3, 25)
    m = dec(mantissa)
    value = mantissa * 10**exponent
    gold = rng.choice([f"{m} \\times 10^{{{exponent}}}", f"{m}\\cdot 10^{{{exponent}}}", f"{m}e{exponent}"])
    forms = [f"{m}*10^{exponent}", f"{m} \\times 10^{{{exponent}}}", f"{m}e{exponent}", f"{m}E+{exponent}",
             f"{m} \\cdot 10^{{{exponent}}}"]
    if exponent < 12:
        forms.append(str(value.numerator) if value.denominator == 1 else dec(value))
    add("scientific", rng.choice(forms), gold, True)
    add("scientific", rng.choice([f"{m} \\times 10^{{{exponent + 1}}}", f"{dec(mantissa + Fraction(1, 10))}e{exponent}",
                                  f"{m}*10^{exponent - 1}"]), gold, False)
# ---- thousands separators
for _ in range(35):
    n = rng.randint(1000, 99_999_999)
    with_commas = f"{n:,}"
    gold = rng.choice([str(n), with_commas, f"${with_commas}$"])
    add("thousands", rng.choice([with_commas, with_commas.replace(",", "{,}"), with_commas.replace(",", " "),
                                 with_commas.replace(",", "\\,"), with_commas.replace(",", "\\ "), str(n)]), gold, True)
    other = n + rng.choice([1, 10, 1000, -1000])
    add("thousands", rng.choice([f"{other:,}", f"{other:,}".replace(",", " "), str(other)]), gold, False)
# ---- units
UNITS = [("cm", "\\text{ cm}"), ("m", "\\text{ meters}"), ("hours", "\\text{ hours}"), ("days", "\\text{ days}"),
         ("kg", "\\mbox{ kg}"), ("dollars", "\\text{ dollars}"), ("degrees", "^\\circ"), ("cm^2", "\\text{ cm}^2"),
         ("minutes", " minutes"), ("feet", "\\text{ feet}")]
for _ in range(35):
    n = rng.randint(1, 5000)
    plain, tex = rng.choice(UNITS)
    if rng.random() < 0.5:  # gold without unit: the answer's unit is ignored
        add("units", f"{n}{tex}", str(n), True)
        add("units", f"{n + rng.randint(1, 9)}{tex}", str(n), False)
    else:  # both with units: compared
        other_plain, other_tex = rng.choice([u for u in UNITS if u[0] != plain and u[0] != "degrees"])
        add("units", rng.choice([f"{n}{tex}", str(n)]), f"{n}{tex}", True)
        if plain == "degrees":
            add("units", f"{n + 1}{tex}", f"{n}{tex}", False)
        else:
            add("units", f"{n}{other_tex}", f"{n}{tex}", False)
# ---- percent, as the gold writes it
for _ in range(35):
    p = rng.choice([rng.randint(1, 99), Fraction(rng.randint(1, 999), 10)])
    p_text = dec(Fraction(p))
    gold = rng.choice([f"{p_text}\\%", f"{p_text}%"])
    add("percent", rng.choice([f"{p_text}\\%", f"{p_text}%", p_text, f"{p_text} \\text{{ percent}}"]), gold, True)
    add("percent", rng.choice([f"{dec(Fraction(p) + 1)}\\%", f"{dec(Fraction(p) * 10)}%"]), gold, False)
# ---- surds
for _ in range(35):
    a, b = rng.randint(1, 12), rng.choice([n for n in range(2, 30) if squarefree(n)])
    gold = f"{a}\\sqrt{{{b}}}" if a > 1 else f"\\sqrt{{{b}}}"
    add("surd", rng.choice([f"\\sqrt{{{a * a * b}}}", f"{a}\\sqrt{b}" if b < 10 else f"{a}\\sqrt{{{b}}}",
                            f"\\sqrt{{{b}}} \\cdot {a}", f"\\frac{{{a * b}}}{{\\sqrt{{{b}}}}}",
                            f"{a}*sqrt({b})"]), gold, True)
    add("surd", rng.choice([f"{a + 1}\\sqrt{{{b}}}", f"{a}\\sqrt{{{b + 1}}}" if squarefree(b + 1) else
                            f"{a}\\sqrt{{{b * 4 + 1}}}", f"\\sqrt{{{a * b}}}" if a > 1 else f"2\\sqrt{{{b}}}"]),
        gold, False)
# ---- multiples of pi
for _ in range(35):
    f = Fraction(rng.randint(1, 12), rng.randint(1, 8))
    n, d = f.numerator, f.denominator
    gold = rng.choice([f"\\frac{{{n}\\pi}}{{{d}}}" if d > 1 else f"{n}\\pi",
                       f"\\frac{{{n}}}{{{d}}}\\pi" if d > 1 else f"{n}\\pi"])
    add("pi", rng.choice([f"{n}\\pi/{d}", f"\\frac{{{n}}}{{{d}}}\\pi", f"\\pi \\cdot {n}/{d}", f"\\frac{{{n}\\pi}}{{{d}}}",
                          f"{n}π/{d}"]), gold, True)
    add("pi", rng.choice([f"{n + 1}\\pi/{d}", f"{n}\\pi/{d + 1}", f"\\frac{{{n}}}{{{d}}}"]), gold, False)
# ---- expressions
for _ in range(35):
    a, b = rng.randint(1, 9), rng.randint(1, 9)
    v = rng.choice("xyzt")
    shape = rng.choice(["square", "linear", "product"])
    if shape == "square":
        gold = f"({v}+{a})^2"
        same = [f"{v}^2+{2 * a}{v}+{a * a}", f"{a * a} + {2 * a}{v} + {v}^2", f"({a}+{v})^{{2}}"]
        other = [f"{v}^2+{a * a}", f"{v}^2+{a}{v}+{a * a}", f"({v}-{a})^2"]
    elif shape == "linear":
        gold = f"{a}{v}+{b}"
        same = [f"{b}+{a}{v}", f"{b} + {a} {v}", f"{a}\\cdot {v} + {b}"]
        other = [f"{a}{v}-{b}", f"{b}{v}+{a}" if a != b else f"{a}{v}+{b + 1}", f"{a + 1}{v}+{b}"]
    else:
        gold = f"({v}+{a})({v}-{b})"
        same = [f"{v}^2+{a - b}{v}-{a * b}" if a != b else f"{v}^2-{a * b}", f"({v}-{b})({v}+{a})"]
        other = [f"({v}+{a})({v}+{b})", f"{v}^2-{a * b}" if a != b else f"{v}^2+{v}-{a * b}"]
    add("expression", rng.choice(same), gold, True)
    add("expression", rng.choice(other), gold, False)
# ---- equations
for _ in range(35):
    a, b, n = rng.randint(1, 9), rng.randint(1, 9), rng.randint(-20, 20)
    v, w = rng.sample("xyzab", 2)
    case = rng.choice(["value", "line", "value_gold_bare"])
    if case == "value":
        gold = f"{v} = {n}"
        add("equation", rng.choice([str(n), f"{v}={n}", f"{v} = {n}"]), gold, True)
        add("equation", rng.choice([f"{w} = {n}", f"{v} = {n + 1}"]), gold, False)
    elif case == "line":
        gold = f"y = {a}x + {b}"
        add("equation", rng.choice([f"y={b}+{a}x", f"y = {a} x + {b}", f"{a}x - y + {b} = 0", f"{a}x+{b}=y"]), gold, True)
        add("equation", rng.choice([f"x = {a}y + {b}", f"y = {a}x - {b}", f"y = {b}x + {a}" if a != b else f"y={a}x"]),
            gold, False)
    else:
        gold = str(n)
        add("equation", f"{v} = {n}", gold, True)
        add("equation", f"{v} = {n + 2}", gold, False)
# ---- tuples and points
for _ in range(35):
    p = Fraction(rng.randint(-9, 9), rng.choice([1, 1, 2, 4]))
    q = Fraction(rng.randint(-9, 9), rng.choice([1, 2, 5]))
    if p == q:
        q += 1
    gold = f"({frac_tex(p)}, {frac_tex(q)})"
    same = [f"({frac_tex(p)},{frac_tex(q)})", f"\\left({frac_tex(p)}, {frac_tex(q)}\\right)",
            f"({dec(p)}, {dec(q)})"]
    add("tuple", rng.choice(same), gold, True)
    add("tuple", rng.choice([f"({frac_tex(q)}, {frac_tex(p)})", f"\\{{{frac_tex(p)}, {frac_tex(q)}\\}}",
                             f"({frac_tex(p)}, {frac_tex(q + 1)})", f"({frac_tex(p)}, {frac_tex(q)}, 0)"]), gold, False)
# ---- intervals
for _ in range(35):
    a = rng.randint(-9, 5)
    b = a + rng.randint(1, 9)
    lo, hi = rng.choice("[("), rng.choice("])")
    shape = rng.choice(["finite", "left_inf", "right_inf"])
    if shape == "finite":
        gold = f"{lo}{a}, {b}{hi}"
    elif shape == "left_inf":
        lo, gold = "(", f"(-\\infty, {b}{hi}"
    else:
        hi, gold = ")", f"{lo}{a}, \\infty)"
    if lo == "(" and hi == ")" and shape == "finite":
        lo = "["
        gold = f"[{a}, {b})"
    same = gold.replace(", ", ",")
    add("interval", rng.choice([same, "\\left" + gold[0] + gold[1:-1] + "\\right" + gold[-1],
                                gold.replace("\\infty", "∞")]), gold, True)
    flipped = {"[": "(", "(": "["}[gold[0]] + gold[1:] if not gold.startswith("(-") else gold[:-1] + {"]": ")", ")": "]"}[gold[-1]]
    add("interval", rng.choice([flipped, gold.replace(str(b), str(b + 1)) if shape != "right_inf" else
                                gold.replace(str(a), str(a - 1), 1)]), gold, False)
# ---- sets, lists and plus-minus
for _ in range(35):
    items = rng.sample(range(-9, 20), rng.randint(2, 4))
    shape = rng.choice(["braces", "bare", "pm"])
    if shape == "pm":
        k = rng.randint(1, 9)
        gold = rng.choice([f"\\pm {k}", f"\\pm\\sqrt{{{k + 1}}}" if squarefree(k + 1) else f"\\pm {k}"])
        root = gold.replace("\\pm", "").strip()
        add("set", rng.choice([f"{root}, -{root}", f"-{root}, {root}", f"\\{{{root}, -{root}\\}}", f"x = \\pm {root}"]),
            gold, True)
        add("set", rng.choice([root, f"{root}, {root}", f"-{root}"]), gold, False)
        continue
    gold = ("\\{" + ", ".join(map(str, items)) + "\\}") if shape == "braces" else ", ".join(map(str, items))
    shuffled = items[:]
    rng.shuffle(shuffled)
    add("set", rng.choice(["\\{" + ", ".join(map(str, shuffled)) + "\\}", ", ".join(map(str, shuffled)),
                           ",".join(map(str, shuffled))]), gold, True)
    add("set", rng.choice([", ".join(map(str, items[:-1])), ", ".join(map(str, items[:-1] + [items[-1] + 1])),
                           "(" + ", ".join(map(str, items)) + ")"]), gold, False)
# ---- multiple-choice letters
for _ in range(35):
    letter = rng.choice("ABCDE")
    other = rng.choice([c for c in "ABCDE" if c != letter])
    gold = rng.choice([letter, f"({letter})", f"\\text{{({letter})}}", f"\\mathrm{{({letter})}}", f"\\textbf{{({letter})}}"])
    value = rng.randint(10, 2000)
    add("choice", rng.choice([f"({letter})", letter, letter.lower(), f"\\textbf{{({letter}) }} {value}",
                              f"\\mathrm{{({letter})}}", f"\\text{{({letter.lower()})}}"]), gold, True)
    add("choice", rng.choice([f"({other})", other, other.lower(), f"\\textbf{{({other}) }} {value}"]), gold, False)
# ---- Unicode
for _ in range(35):
    n = rng.randint(1, 999)
    fw = "".join(chr(0xFF10 + int(c)) for c in str(n))
    arabic = "".join(chr(0x0660 + int(c)) for c in str(n))
    persian = "".join(chr(0x06F0 + int(c)) for c in str(n))
    case = rng.choice(["minus", "fullwidth", "arabic", "persian", "nbsp", "half", "pi", "sqrt"])
    if case == "minus":
        gold, same, other = f"-{n}", f"\u2212{n}", f"\u2212{n + 1}"
    elif case == "fullwidth":
        gold, same, other = str(n), fw, "".join(chr(0xFF10 + int(c)) for c in str(n + 1))
    elif case == "arabic":
        gold, same, other = str(n), arabic, "".join(chr(0x0660 + int(c)) for c in str(n + 1))
    elif case == "persian":
        gold, same, other = str(n), persian, "".join(chr(0x06F0 + int(c)) for c in str(n + 1))
    elif case == "nbsp":
        m = n * 1000 + rng.randint(0, 999)
        gold, same, other = str(m), f"{m:,}".replace(",", "\u00a0"), f"{m + 1:,}".replace(",", "\u202f")
    elif case == "half":
        gold, same, other = rng.choice([("\\frac{1}{2}", "\u00bd", "\u00bc"), ("\\frac{3}{4}", "\u00be", "\u00bd"),
                                        ("0.25", "\u00bc", "\u00be")])
    elif case == "pi":
        gold, same, other = f"{n}\\pi", f"{n}\u03c0", f"{n + 1}\u03c0"
    else:
        k = rng.choice([2, 3, 5, 6, 7])
        gold, same, other = f"\\sqrt{{{k}}}", f"\u221a{k}", f"\u221a{k + 8}"
    add("unicode", same, gold, True)
    add("unicode", other, gold, False)
# ---- repeating decimals
for _ in range(35):
    b = rng.choice([3, 6, 9, 11, 12, 15, 18, 33])
    a = rng.randint(1, b - 1)
    f = Fraction(a, b)
    # decimal expansion with the repeating block found by long division
    digits, seen, r = [], {}, f.numerator
    while r and r not in seen:
        seen[r] = len(digits)
        r *= 10
        digits.append(str(r // f.denominator))
        r %= f.denominator
    if not r:
        continue
    start = seen[r]
    text = "0." + "".join(digits[:start]) + "\\overline{" + "".join(digits[start:]) + "}"
    add("repeating_decimal", text, frac_tex(f), True)
    truncated = "0." + "".join(digits[:start]) + "".join(digits[start:]) * 2
    add("repeating_decimal", rng.choice([truncated, "0." + "".join(digits[:start]) + "\\overline{" +
                                         str((int(digits[start]) + 1) % 10) + "}"]), frac_tex(f), False)
# ---- decimal approximations of exact golds (false accepts to avoid), and exact decimals (true)
for _ in range(35):
    case = rng.choice(["pi", "sqrt", "third", "int"])
    if case == "pi":
        k = rng.randint(1, 9)
        gold, approx = f"{k}\\pi", f"{k * math.pi:.{rng.randint(2, 7)}f}"
    elif case == "sqrt":
        k = rng.choice([2, 3, 5, 7, 11])
        gold, approx = f"\\sqrt{{{k}}}", f"{math.sqrt(k):.{rng.randint(3, 8)}f}"
    elif case == "third":
        a = rng.choice([1, 2, 4, 5, 7, 8])
        gold, approx = f"\\frac{{{a}}}{{9}}", f"{a / 9:.{rng.randint(3, 6)}f}"
    else:
        k = rng.randint(1, 100)
        gold, approx = str(k), rng.choice([f"{k}.000000001", f"{k - 1}.9999999", f"{k}.0001"])
    add("approximation", approx, gold, False)
    exact = rng.choice([("0.25", "\\frac{1}{4}"), ("1.5", "\\frac{3}{2}"), ("2.0", "2"), ("0.125", "\\frac18")])
    add("approximation", exact[0], exact[1], True)
# ---- text answers
WORDS = ["no solution", "Tuesday", "yes", "no", "impossible", "infinitely many", "odd", "even", "blue", "north"]
for _ in range(35):
    word = rng.choice(WORDS)
    other = rng.choice([w for w in WORDS if w != word])
    # A gold in \text{}; a common answer word is readable as a plain gold too.
    gold = f"\\text{{{word}}}" if rng.random() < 0.6 or word not in ("no solution", "yes", "no", "odd", "even") else word
    add("text", rng.choice([word, word.capitalize(), f"\\text{{{word.upper()}}}", f"\\textbf{{{word}}}"]), gold, True)
    add("text", rng.choice([other, f"\\text{{{other}}}", str(rng.randint(0, 9))]), gold, False)
# ---- inequalities
for _ in range(35):
    v, n = rng.choice("xyt"), rng.randint(-20, 20)
    rel, flipped, tex = rng.choice([("<", ">", "<"), (">", "<", ">"), ("\\le", "\\ge", "\\leq"), ("\\ge", "\\le", "\\geq")])
    gold = f"{v} {rel} {n}"
    add("inequality", rng.choice([f"{v}{tex}{n}", f"{n} {flipped} {v}", f"{v} {rel} {n}"]), gold, True)
    strict = {"<": "\\le", ">": "\\ge", "\\le": "<", "\\ge": ">"}[rel]
    add("inequality", rng.choice([f"{v} {flipped} {n}", f"{v} {rel} {n + 1}", f"{v} {strict} {n}"]), gold, False)
# ---- other notations: mixed numbers, factorials, binomials, logarithms, powers, function values
for _ in range(35):
    case = rng.choice(["mixed", "factorial", "binom", "log", "power", "function", "member", "or_list"])
    if case == "mixed":
        w, a, b = rng.randint(1, 9), rng.randint(1, 4), rng.choice([5, 7, 9])
        gold, same, other = frac_tex(Fraction(w * b + a, b)), f"{w}\\frac{{{a}}}{{{b}}}", f"{w}\\frac{{{a + 1}}}{{{b}}}"
    elif case == "factorial":
        n = rng.randint(3, 9)
        gold, same, other = str(math.factorial(n)), f"{n}!", f"{n + 1}!"
    elif case == "binom":
        n = rng.randint(4, 12)
        k = rng.randint(1, n - 1)
        other_k = k + 1 if math.comb(n, k + 1) != math.comb(n, k) else k + 2
        gold, same, other = str(math.comb(n, k)), f"\\binom{{{n}}}{{{k}}}", f"\\binom{{{n}}}{{{other_k}}}"
    elif case == "log":
        b, e = rng.choice([2, 3, 5]), rng.randint(2, 6)
        gold, same, other = str(e), f"\\log_{{{b}}} {b ** e}", f"\\log_{{{b}}} {b ** (e + 1)}"
    elif case == "power":
        b, e = rng.randint(2, 9), rng.randint(2, 8)
        gold, same, other = str(b ** e), f"{b}^{{{e}}}", f"{b}^{{{e + 1}}}"
    elif case == "function":
        a, c = rng.randint(2, 9), rng.randint(1, 9)
        gold, same, other = f"{a}x+{c}", f"f(x) = {c} + {a}x", f"f(x) = {a}x - {c}"
    elif case == "member":
        a = rng.randint(-5, 5)
        b = a + rng.randint(1, 6)
        gold, same, other = f"[{a}, {b}]", f"x \\in [{a},{b}]", f"x \\in ({a},{b}]"
    else:
        a, b = rng.sample(range(-9, 10), 2)
        gold, same, other = f"{a}, {b}", f"x = {b} \\text{{ or }} x = {a}", f"x = {a} \\text{{ or }} x = {b + 20}"
    add("notation", same, gold, True)
    add("notation", other, gold, False)
# ---- inequalities against intervals (either side)
for _ in range(20):
    v, a = rng.choice("xt"), rng.randint(-9, 9)
    b = a + rng.randint(1, 9)
    rel, interval = rng.choice([(">", f"({a}, \\infty)"), ("\\ge", f"[{a}, \\infty)"), ("<", f"(-\\infty, {a})"),
                                ("\\le", f"(-\\infty, {a}]")])
    chain, chain_interval = f"{a} < {v} \\le {b}", f"({a}, {b}]"
    if rng.random() < 0.5:
        add("inequality", f"{v} {rel} {a}", interval, True)
        add("inequality", f"{v} {rel} {a + 1}", interval, False)
    else:
        add("inequality", chain_interval, chain, True)
        add("inequality", f"[{a}, {b}]", chain, False)
# ---- extraction: where the final answer is
for _ in range(35):
    n = rng.randint(1, 999)
    m = n + rng.randint(1, 50)
    shapes = [
        lambda x: f"Reasoning...\nFinal Answer: ${x}$",
        lambda x: f"Some work.\n\n**Final Answer**\n\\[\n\\boxed{{{x}}}\n\\]",
        lambda x: f"<think>work</think>\n<answer>The final answer is ${x}$.</answer>",
        lambda x: f"<think>work</think>\n<answer>{x}",
        lambda x: f"Adding up the parts.\nSo the answer should be {x}",
        lambda x: f"<answer>{n if x == m else m}</answer> Wait, actually <answer>{x}</answer>",
        lambda x: f"<think>maybe \\boxed{{{n + 7}}}? no.</think> so \\boxed{{{x}}}",
        lambda x: f"The answer is: {x}.",
        lambda x: f"The answer is {x} because the two parts add up.",
        lambda x: f"<think>the answer is {n + 3}? no, recount</think>\n{x}",
    ]
    shape = rng.choice(shapes)
    add_completion("extraction", shape(n), str(n), True)
    add_completion("extraction", shape(m), str(n), False)
# ---- no answer at all or a malformed one (never correct)
for _ in range(20):
    n = rng.randint(1, 99)
    add_completion("no_answer", rng.choice([f"\\boxed{{{n}", "\\boxed{}", f"<think>{n}", "I am not sure.",
                                            "\\boxed{(((}", ""]), str(n), False)

for row in rows:
    json.dumps(row)
with open(sys.argv[1], "w", encoding="utf-8") as out:
    for row in rows:
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
print(f"{len(rows)} rows, {sum(r['label'] for r in rows)} equivalent", file=sys.stderr)

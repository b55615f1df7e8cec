"""Deterministic multilingual test corpus for the tokenizer parity test and benchmark.

Every record is generated from a seeded random generator and small hand-written pieces (no
copied text): English prose, source code, math and LaTeX, Chinese, Japanese, Korean, Arabic,
Hindi, emoji, long and unusual whitespace runs, combining characters, special-token markup,
random code points, and (separately, as bytes) invalid UTF-8.

    python make_corpus.py OUT.hex [--records N] [--invalid M] [--seed S]

writes one record per line as the hex of its UTF-8 bytes (records may hold newlines), valid
records first. As a module: valid_records(n, seed) -> list[str], invalid_records(m, seed)
-> list[bytes].
"""

import argparse
import random

WORDS = ("the a of and to in is that for it as was with be by on not he she they this are "
         "from or have an but which one you had were her all we there been if more when will "
         "would who so no model policy reward group rollout advantage gradient token sample "
         "Hello World GRPO training don't can't it's we're they've I'm you'll she'd It's "
         "THE Quick brown fox jumps over lazy dog naïve café résumé coöperate Zürich").split()
CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Ve", "'LL", "'D",
                "\u2019s", "'\u017f"]
PUNCT = list(".,;:!?-()[]{}\"'/\\@#$%^&*_+=<>|~`")

CODE = [
    "def {f}({a}, {b}):\n    return {a} * {b} + {n}\n",
    "for (int i = 0; i < {n}; ++i) {{\n\t{a}[i] += {b}[i];\n}}",
    "if {a} != None and len({b}) >= {n}:\n        print(f\"{{{a}}} -> {{{b}!r}}\")",
    "#include <vector>\nstd::vector<int64_t> {f}(const std::string& {a});",
    "SELECT {a}, COUNT(*) FROM {b} WHERE id > {n} GROUP BY {a};",
    "const {f} = ({a}) => {{ return {a}.map(x => x ** {n}); }};",
    "    \t  {a}_{b} = {{'key': [{n}, {n}.5, -{n}e-3], \"v\": None}}  # comment",
    "<div class=\"{a}\"><span>{b}</span></div>\r\n",
    "fn {f}(&mut self, {a}: u32) -> Result<(), Error> {{ Ok(()) }}",
]
NAMES = ["x", "y", "tensor", "logits", "mask", "group_size", "advantages", "idx", "k", "_tmp"]

MATH = [
    r"$\frac{{{a}}}{{{b}}} + \sqrt{{{n}}} = {c}$",
    r"\sum_{{i=1}}^{{{n}}} x_i^2 \leq \int_0^\infty e^{{-{a}t}}\,dt",
    r"\begin{{align}} f(x) &= {a}x^{{{n}}} - {b} \\ g(x) &= \log({c}) \end{{align}}",
    "{a} + {b} = {c}, {n} × {a} ÷ {b} ≈ {c}.{n} ± 0.5 ≤ ∞",
    r"Let $\epsilon > 0$; then $|x_{{{n}}} - L| < \epsilon$ for all $n \geq N_{{{a}}}$.",
    "{n}{n}{n}{n}{n}.{a}{b} 1,234,567 0x{n}FF 3.14159e-{a} ½ ¾ ² ³ Ⅻ ①",
]

CHINESE = "的一是不了人我在有他这中大来上国个到说们为子和你地出道也时年得就那要下以生会自着去之过家学对可她里后小么心多天而能好都然没日于起还发成事只作当想看文无开手十用主行方又如前所本见经头面公同三已老从动两长知民样现分将外但身些与高意进把法此实回二理美点月明其种声全工己话儿者向情部正名定女问力机给等几很业最间新什打便位因重被走电四第门相次东政海口使教西再平真听世气信北少关并内加化由却代军产入先山五太水万市眼体别处总才场师书比住员九笑性通目华报立马命张活难神数件安表原车白应路期叫死常提感金何更反合放做系计或司利受光王果亲界及今京务制解各任至清物台象记边共风战干接它许八特觉望直服毛林题建南度统色字请交爱让认算论百吃义科怎元社术结六功指思非流每青管夫连远资队跟带花快条院变联言权往展该领传近留红治决周保达办运武半候七必城父强步完革深区即求品士转量空甚众技轻程告江语英基派满式李息写呢识极令黄德收脸钱党倒未持取设始版双历越史商千片容研像找友孩站广改议形委早房音火际则首单据导影失拿网香似斯专石若兵弟谁校读志飞观争究包组造落视济喜离虽坏兴"
JAPANESE_KANA = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをんがぎぐげござじずぜぞだぢづでどばびぶべぼぱぴぷぺぽゃゅょっアイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワヲンガギグゲゴザジズゼゾダヂヅデドバビブベボパピプペポャュョッー"
ARABIC = "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةى"
ARABIC_MARKS = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652"
DEVANAGARI = "अआइईउऊएऐओऔकखगघङचछजझञटठडढणतथदधनपफबभमयरलवशषसह"
DEVANAGARI_SIGNS = "\u093e\u093f\u0940\u0941\u0942\u0947\u0948\u094b\u094c\u0902\u0903\u094d"
EMOJI = ["😀", "😂", "🤖", "🚀", "🔥", "✨", "👍🏽", "👩‍💻", "👨‍👩‍👧‍👦", "🇫🇷", "🇯🇵", "❤️", "🏳️‍🌈",
         "🧪", "🎉", "☕", "🙂", "🦀", "🐍", "1️⃣", "#️⃣", "🫠"]
SPACES = [" ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u3000", "\u2009", "\u200b", "\u180e", "\u2028",
          "\u0085", "\u000b", "\u000c", "\u202f", "\u2003"]
SPECIAL = ["<think>", "</think>", "<|endoftext|>", "<|im_start|>", "<|im_end|>", "<mask>",
           "favourite", "<think", "<|endoftext|", "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"]
COMBINING = ["e\u0301", "a\u0308", "o\u0302\u0323", "n\u0303", "\u1100\u1161\u11a8", "A\u030a",
             "\u0041\u0301\u0301", "\u212b", "\u2126", "ﬁ", "Ａ", "①", "\u0958", "\u2000"]


def _english(r):
    out = []
    for _ in range(r.randint(3, 25)):
        w = r.choice(WORDS)
        if r.random() < 0.1:
            w = w.upper() if r.random() < 0.5 else w.capitalize()
        if r.random() < 0.08:
            w += r.choice(CONTRACTIONS)
        if r.random() < 0.1:
            w += r.choice(PUNCT)
        if r.random() < 0.05:
            w = str(r.randint(0, 10 ** r.randint(1, 9)))
        out.append(w)
    return " ".join(out) + r.choice([".", "!", "?", "", "...", " :)"])


def _fill(r, template):
    return template.format(f=r.choice(NAMES) + "_fn", a=r.choice(NAMES), b=r.choice(NAMES),
                           n=r.randint(0, 9999), c=r.randint(0, 99))


def _chars(r, alphabet, lo, hi):
    return "".join(r.choice(alphabet) for _ in range(r.randint(lo, hi)))


def _chinese(r):
    parts = [_chars(r, CHINESE, 2, 12) for _ in range(r.randint(1, 5))]
    return r.choice(["，", "。", "、", "；", "：", "！", "？"]).join(parts) + "。" + (
        f"{r.randint(1, 2030)}年" if r.random() < 0.3 else "")


def _japanese(r):
    return "".join(_chars(r, JAPANESE_KANA, 1, 6) + _chars(r, CHINESE, 0, 3)
                   for _ in range(r.randint(2, 6))) + r.choice(["。", "！", "？", "、"])


def _korean(r):
    def syllable():
        return chr(0xAC00 + r.randrange(11172))
    words = ["".join(syllable() for _ in range(r.randint(1, 4))) for _ in range(r.randint(2, 8))]
    return " ".join(words) + r.choice([".", "?", "!", ""])


def _arabic(r):
    words = []
    for _ in range(r.randint(2, 9)):
        w = _chars(r, ARABIC, 2, 7)
        if r.random() < 0.3:
            w += r.choice(ARABIC_MARKS)
        words.append(w)
    return " ".join(words) + r.choice(["،", "؟", ".", " ١٢٣", " 2024"])


def _hindi(r):
    words = []
    for _ in range(r.randint(2, 8)):
        w = "".join(r.choice(DEVANAGARI) + (r.choice(DEVANAGARI_SIGNS) if r.random() < 0.6 else "")
                    for _ in range(r.randint(1, 4)))
        words.append(w)
    return " ".join(words) + r.choice(["।", " ॥", "?", " १२३"])


def _emoji(r):
    return "".join(r.choice(EMOJI) + (r.choice([" ", "", "!", " ok "]) if r.random() < 0.5 else "")
                   for _ in range(r.randint(1, 8)))


def _whitespace(r):
    pieces = []
    for _ in range(r.randint(1, 6)):
        pieces.append(r.choice(SPACES) * r.randint(1, 40))
        if r.random() < 0.7:
            pieces.append(r.choice(WORDS))
    if r.random() < 0.2:
        pieces.append(" " * r.randint(100, 3000))
    return "".join(pieces)


def _special(r):
    parts = []
    for _ in range(r.randint(1, 6)):
        parts.append(r.choice(SPECIAL) if r.random() < 0.5 else _english(r)[:30])
        if r.random() < 0.3:
            parts.append(r.choice(SPACES))
    return "".join(parts)


def _combining(r):
    return "".join(r.choice(COMBINING) + (r.choice(WORDS) if r.random() < 0.5 else "")
                   for _ in range(r.randint(1, 6)))


def _random_code_points(r):
    blocks = [(0x20, 0x7E), (0xA0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x6FF),
              (0x900, 0x97F), (0xE00, 0xE7F), (0x1F300, 0x1FAFF), (0x2000, 0x206F), (0x3040, 0x30FF),
              (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0x10000, 0x1007F), (0xE000, 0xE0FF),
              (0xFF00, 0xFFEF), (0x1D400, 0x1D7FF)]
    out = []
    for _ in range(r.randint(1, 30)):
        lo, hi = r.choice(blocks)
        out.append(chr(r.randint(lo, hi)))
    return "".join(out)


def _mixed(r):
    makers = [_english, _chinese, _japanese, _korean, _arabic, _hindi, _emoji]
    return " ".join(r.choice(makers)(r) for _ in range(r.randint(2, 4)))


KINDS = [
    ("english", _english, 14), ("code", lambda r: _fill(r, r.choice(CODE)), 10),
    ("math", lambda r: _fill(r, r.choice(MATH)), 8), ("chinese", _chinese, 7),
    ("japanese", _japanese, 6), ("korean", _korean, 6), ("arabic", _arabic, 6),
    ("hindi", _hindi, 6), ("emoji", _emoji, 6), ("whitespace", _whitespace, 8),
    ("special", _special, 7), ("combining", _combining, 5), ("random", _random_code_points, 5),
    ("mixed", _mixed, 6),
]


def valid_records(n=6000, seed=1234):
    """n valid UTF-8 records, each kind in proportion to its weight."""
    r = random.Random(seed)
    makers = [m for _, m, w in KINDS for _ in range(w)]
    records = []
    for i in range(n):
        text = makers[i % len(makers)](r)
        if r.random() < 0.05:
            text = " " + text
        if r.random() < 0.05:
            text += "\n"
        records.append(text)
    return records


def invalid_records(m=600, seed=4321):
    """m byte strings that are not valid UTF-8 (stray continuation bytes, truncated sequences,
    overlong forms, surrogates, bytes F5-FF), mixed with valid text."""
    r = random.Random(seed)
    bad = [b"\x80", b"\xbf", b"\xc3", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc0\xaf", b"\xe0\x80\xaf",
           b"\xed\xa0\x80", b"\xed\xbf\xbf", b"\xf4\x90\x80\x80", b"\xf5", b"\xff", b"\xfe\xfe",
           b"\xc1\xbf", b"\xf8\x88\x80\x80\x80"]
    valid = valid_records(m, seed)
    out = []
    for text in valid:
        data = bytearray(text.encode("utf-8"))
        for _ in range(r.randint(1, 4)):
            pos = r.randint(0, len(data))
            data[pos:pos] = r.choice(bad)
        if r.random() < 0.3 and len(data) > 2:
            data = data[:-1]  # may cut a multi-byte character
        try:
            bytes(data).decode("utf-8")
            data += b"\xff"
        except UnicodeDecodeError:
            pass
        out.append(bytes(data))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--records", type=int, default=6000)
    parser.add_argument("--invalid", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1234)
    args = parser.parse_args()
    with open(args.out, "w") as f:
        for text in valid_records(args.records, args.seed):
            f.write(text.encode("utf-8").hex() + "\n")
        for data in invalid_records(args.invalid):
            f.write(data.hex() + "\n")


if __name__ == "__main__":
    main()

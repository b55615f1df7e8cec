// The Jinja interpreter on hand-written templates. The expected texts of the table were
// produced by jinja2 3.1.6 in transformers' chat-template environment
// (ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True), loopcontrols,
// transformers' tojson), rendering the same template with the same variables.
#include <grpo/tokenizer/chat_template.h>
#include <grpo/tokenizer/jinja.h>

#include <gtest/gtest.h>

#include <string>

namespace {

using grpo::JinjaError;
using grpo::JinjaLimits;
using grpo::JinjaTemplate;

struct Case {
  const char* group;
  const char* source;
  const char* context;
  const char* expected;
};

const Case kCases[] = {
    {"Expressions", R"({{ 1 + 2 * 3 }}|{{ 7 / 2 }}|{{ 7 // 2 }}|{{ -7 // 2 }}|{{ -7 % 3 }}|{{ 2 ** 10 }}|{{ 4 / 2 }})",
     R"({})",
     "7|3.5|3|-4|2|1024|2.0"},
    {"Expressions", R"({{ 'a' ~ 1 ~ none }}|{{ 'ab' * 3 }}|{{ [1, 2] + [3] }}|{{ (1, 'x') }}|{{ {'k': [1, 2.5, true, none]} }})",
     R"({})",
     "a1None|ababab|[1, 2, 3]|(1, 'x')|{'k': [1, 2.5, True, None]}"},
    {"Expressions", R"({{ 'abcdef'[1:4] }}|{{ 'abcdef'[::-2] }}|{{ [1,2,3,4][-2:] }}|{{ 'héllo'[1] }}|{{ 'abc'[-1] }})",
     R"({})",
     "bcd|fdb|[3, 4]|é|c"},
    {"Expressions", R"({{ 'tab\there' }}|{{ "q'uote" }}|{{ 'x\u00e9\n' | tojson }}|{{ 'a' 'b' }})",
     R"({})",
     "tab\there|q'uote|\"xé\\n\"|ab"},
    {"Expressions", R"({{ 1 == 1.0 }}|{{ 'a' < 'b' }}|{{ 1 < 2 < 3 }}|{{ 'b' in 'abc' }}|{{ 2 not in [1, 3] }}|{{ 'k' in {'k': 1} }})",
     R"({})",
     "True|True|True|True|True|True"},
    {"Expressions", R"({{ x is defined }}|{{ y is defined }}|{{ y is undefined }}|{{ none is none }}|{{ x is string }}|{{ d is mapping }}|{{ l is iterable }}|{{ 3 is odd }}|{{ 4 is even }}|{{ 9 is divisibleby 3 }}|{{ x is not number }}|{{ true is true }}|{{ 1 is boolean }}|{{ l is sequence }}|{{ y is iterable }})",
     R"({"x": "s", "d": {}, "l": [1]})",
     "True|False|True|True|True|True|True|True|True|True|True|True|False|True|True"},
    {"Expressions", R"({{ not true }}|{{ true and 'x' }}|{{ 0 or 'y' }}|{{ none or [] }}|{{ 'a' if 0 else 'b' }}|{{ 'a' if 1 }}|[{{ 'a' if 0 }}])",
     R"({})",
     "False|x|y|[]|b|a|[]"},
    {"Filters", R"({{ '  x  ' | trim }}|{{ 'abc' | upper }}|{{ 'ABC' | lower }}|{{ 'hello world' | capitalize }}|{{ 'hello big-world' | title }}|{{ 'aXa' | replace('a', 'b') }}|{{ [1, 2] | join(', ') }}|{{ [3, 1] | first }}|{{ [3, 1] | last }})",
     R"({})",
     "x|ABC|abc|Hello world|Hello Big-World|bXb|1, 2|3|1"},
    {"Filters", R"({{ y | default('d') }}|{{ '' | default('e', true) }}|{{ none | default('n') }}|{{ [1,2,3] | length }}|{{ 'héllo' | length }}|{{ {'a': 1} | count }})",
     R"({})",
     "d|e|None|3|5|1"},
    {"Filters", R"({{ {'b': 1, 'a': 2} | items | list }}|{{ {'b': 1, 'A': 2} | dictsort }}|{{ 'ab' | list }}|{{ [1, 2, 1] | unique | list }}|{{ [1, 2] | reverse | list }}|{{ 'abc' | reverse }})",
     R"({})",
     "[('b', 1), ('a', 2)]|[('A', 2), ('b', 1)]|['a', 'b']|[1, 2]|[2, 1]|cba"},
    {"Filters", R"({{ users | selectattr('active') | map(attribute='name') | join(',') }}|{{ users | rejectattr('active') | map(attribute='name') | list }}|{{ [1, 2, 3, 4] | select('odd') | list }}|{{ [1, 2, 3] | reject('even') | list }}|{{ ['a', 'b'] | map('upper') | list }}|{{ users | selectattr('name', 'equalto', 'bo') | list | length }})",
     R"({"users": [{"name": "al", "active": true}, {"name": "bo", "active": false}]})",
     "al|['bo']|[1, 3]|[1, 3]|['A', 'B']|1"},
    {"Filters", R"({{ '42' | int }}|{{ 'x' | int }}|{{ 3.9 | int }}|{{ '2.5' | float }}|{{ -3 | abs }}|{{ 2.675 | round(2) }}|{{ 2.5 | round }}|{{ 42 | string }}|{{ 'a\nb' | indent(2) }}|{{ 'a\nb' | indent(2, true) }}|{{ 'one two  three' | wordcount }}|{{ 'x' | center(5) }}|)",
     R"({})",
     "42|0|3|2.5|3|2.67|2.0|42|a\n  b|  a\n  b|3|  x  |"},
    {"Filters", R"({{ d | tojson }}|{{ d | tojson(indent=2) }}|{{ d | tojson(separators=(',', ':')) }}|{{ d | tojson(sort_keys=true) }}|{{ 'é"<' | tojson }}|{{ [] | tojson(indent=2) }}|{{ 1.0 | tojson }}|{{ 1e20 | tojson }})",
     R"({"d": {"z": 1, "a": [1.5, null, true, "ü"], "m": {}}})",
     "{\"z\": 1, \"a\": [1.5, null, true, \"ü\"], \"m\": {}}|{\n  \"z\": 1,\n  \"a\": [\n    1.5,\n    null,\n    true,\n    \"ü\"\n  ],\n  \"m\": {}\n}|{\"z\":1,\"a\":[1.5,null,true,\"ü\"],\"m\":{}}|{\"a\": [1.5, null, true, \"ü\"], \"m\": {}, \"z\": 1}|\"é\\\"<\"|[]|1.0|1e+20"},
    {"Methods", R"({{ 'a,b,,c'.split(',') }}|{{ ' a  b '.split() }}|{{ 'a b c'.split(' ', 1) }}|{{ 'a b c'.rsplit(' ', 1) }}|{{ 'xxhixx'.strip('x') }}|{{ '  hi'.lstrip() }}|{{ 'hi  '.rstrip() }}|{{ 'abc'.startswith('ab') }}|{{ 'abc'.endswith(('x', 'c')) }})",
     R"({})",
     "['a', 'b', '', 'c']|['a', 'b']|['a', 'b c']|['a b', 'c']|hi|hi|hi|True|True"},
    {"Methods", R"({{ '{} and {name}'.format(1, name='n') }}|{{ 'Hello'.upper() }}|{{ 'Hello'.lower() }}|{{ 'a-b'.replace('-', '+') }}|{{ 'hello'.find('l') }}|{{ 'hello world'.title() }}|{{ 'banana'.count('a') }}|{{ 'a\nb\r\nc'.splitlines() }})",
     R"({})",
     "1 and n|HELLO|hello|a+b|2|Hello World|3|['a', 'b', 'c']"},
    {"Methods", R"({% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{{ d.keys() | list }}|{{ d.values() | list }}|{{ d.get('a') }}|{{ d.get('zz', 'none') }}|{{ d.get('zz') }}|{{ d['a'] }}|{{ d.a }})",
     R"({"d": {"a": 1, "b": 2}})",
     "a=1;b=2;|['a', 'b']|[1, 2]|1|none|None|1|1"},
    {"Loops", R"({% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}{{ loop.previtem }}{{ loop.nextitem }} {% endfor %})",
     R"({"xs": ["a", "b", "c"]})",
     "1032TrueFalse3b 2121FalseFalse3ac 3210FalseTrue3b "},
    {"Loops", R"({% for x in xs if x > 1 %}{{ x }}{{ loop.length }},{% else %}empty{% endfor %}|{% for x in [] %}{{ x }}{% else %}none{% endfor %}|{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}|{% for a, b in [(1, 2), (3, 4)] %}{{ a + b }}{% endfor %}|{% for c in 'hé' %}[{{ c }}]{% endfor %}|{% for x in xs %}{{ loop.cycle('o', 'e') }}{% endfor %})",
     R"({"xs": [1, 2, 3, 4, 5]})",
     "24,34,44,54,|none|13|37|[h][é]|oeoeo"},
    {"SetNamespaceMacro", R"({% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{% endfor %}{{ x }}|{% set ns = namespace(total=0) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}|{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set block %}in {{ x }}{% endset %}{{ block }})",
     R"({})",
     "1|6|12|in 1"},
    {"SetNamespaceMacro", R"({% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('a') }}|{{ greet('b', '?') }}|{{ greet(punct='.', name='c') }}|{% macro rec(n) %}{{ n }}{% if n > 0 %}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(3) }})",
     R"({})",
     "Hi a!|Hi b?|Hi c.|3210"},
    {"SetNamespaceMacro", R"({% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}inner{% endcall %}|{% filter upper %}abc{% endfilter %}|{% raw %}{{ raw }}{% endraw %}|{# comment #}x|{% generation %}gen{% endgeneration %}|{{ range(3) | list }}|{{ range(1, 7, 2) | list }}|{{ dict(a=1) }})",
     R"({})",
     "[inner]|ABC|{{ raw }}|x|gen|[0, 1, 2]|[1, 3, 5]|{'a': 1}"},
    {"WhitespaceControl", "<{% if true %}\n  yes\n{% endif %}>",
     R"({})",
     "<  yes\n>"},
    {"WhitespaceControl", "<  {% if true %}x{% endif %}  >\n  {% if true %}\ny\n  {% endif %}\nz",
     R"({})",
     "<  x  >\ny\nz"},
    {"WhitespaceControl", "a  {{- ' b ' -}}  c|a  {%- if true -%}  b  {%- endif -%}  c|{{ 'x' }}\n{{ 'y' }}\n",
     R"({})",
     "a b c|abc|x\ny"},
    {"WhitespaceControl", "line\n    {#- comment -#}\n    next\n  {%+ if true %}keep{% endif %}\n{% if true +%}\nplus{% endif %}",
     R"({})",
     "linenext\n  keep\nplus"},
    {"Expressions", R"({% if a %}A{% elif b %}B{% else %}C{% endif %}{% if not a and not b %}!{% endif %})",
     R"({"a": false, "b": true})",
     "B"},
    {"Expressions", R"({{ messages[0]['content'] }}{{ messages[0].role }}{{ messages[1] is defined }}{{ messages[0].missing is defined }}{{ messages[0].missing is none }})",
     R"({"messages": [{"role": "user", "content": "hi"}]})",
     "hiuserFalseFalseFalse"},
    {"Expressions", R"({{ 5 | string + 'x' }}|{{ (1 + 2) * 3 }}|{{ -2 ** 2 }}|{{ 10 - 2 - 3 }}|{{ 2 ** 3 ** 2 }}|{{ 0.1 + 0.2 }}|{{ 1e-5 }}|{{ 1e16 }}|{{ 123456789.0 }}|{{ 1/3 }})",
     R"({})",
     "5x|9|4|5|64|0.30000000000000004|1e-05|1e+16|123456789.0|0.3333333333333333"},};

void check_group(const std::string& group) {
  int checked = 0;
  for (const Case& c : kCases) {
    if (group != c.group) continue;
    ++checked;
    SCOPED_TRACE(c.source);
    EXPECT_EQ(JinjaTemplate(c.source).render(c.context), c.expected);
  }
  EXPECT_GT(checked, 0);
}

TEST(Jinja, ExpressionsFollowPythonSemantics) { check_group("Expressions"); }
TEST(Jinja, FiltersMatchJinja2AndTransformersTojson) { check_group("Filters"); }
TEST(Jinja, StringAndDictMethodsMatchPython) { check_group("Methods"); }
TEST(Jinja, LoopVariablesElseFilterAndLoopControls) { check_group("Loops"); }
TEST(Jinja, SetNamespaceMacroCallFilterRawAndGeneration) { check_group("SetNamespaceMacro"); }
TEST(Jinja, WhitespaceControlAsTrimAndLstripBlocks) { check_group("WhitespaceControl"); }

/// The message of the JinjaError `source` throws when parsed or rendered with `context`.
JinjaError error_of(const std::string& source, const std::string& context = "{}", JinjaLimits limits = {}) {
  try {
    JinjaTemplate(source, "t.jinja", limits).render(context);
  } catch (const JinjaError& e) {
    return e;
  }
  ADD_FAILURE() << "no error from " << source;
  return JinjaError("", 0, 0, false);
}

TEST(Jinja, SyntaxErrorsNameLineAndColumn) {
  const JinjaError unclosed = error_of("line one\n{% if x %}\nno end");
  EXPECT_NE(std::string(unclosed.what()).find("t.jinja:"), std::string::npos) << unclosed.what();
  EXPECT_NE(std::string(unclosed.what()).find("endif"), std::string::npos) << unclosed.what();
  const JinjaError unknown = error_of("ab\n  {% frobnicate %}");
  EXPECT_EQ(unknown.line(), 2);
  EXPECT_EQ(unknown.column(), 6);
  EXPECT_NE(std::string(unknown.what()).find("t.jinja:2:6: encountered unknown tag 'frobnicate'"), std::string::npos)
      << unknown.what();
  const JinjaError bad = error_of("{{ 1 + }}");
  EXPECT_EQ(bad.line(), 1);
  EXPECT_EQ(bad.column(), 8);
  EXPECT_EQ(error_of("{{ 'open }}").line(), 1);
  EXPECT_EQ(error_of("{# never closed").line(), 1);
}

TEST(Jinja, RuntimeErrorsNameTheExpression) {
  const JinjaError e = error_of("ok\n{{ 1 + 'a' }}");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 6);  // the operator
  EXPECT_FALSE(e.raised_by_template());
  EXPECT_NE(std::string(e.what()).find("t.jinja:2:6: unsupported operand type(s) for +: 'int' and 'str'"), std::string::npos)
      << e.what();
  // An attribute of an undefined value is an error; of a missing key, it is undefined.
  EXPECT_EQ(error_of("{{ missing.attr }}").line(), 1);
  EXPECT_EQ(JinjaTemplate("{{ d.missing }}").render(R"({"d": {}})"), "");
}

TEST(Jinja, RaiseExceptionReachesTheCaller) {
  const JinjaError e = error_of("\n\n  {{ raise_exception('Only user and assistant roles!') }}");
  EXPECT_TRUE(e.raised_by_template());
  EXPECT_EQ(e.line(), 3);
  EXPECT_EQ(std::string(e.what()), "t.jinja:3:6: raise_exception: Only user and assistant roles!");
}

TEST(Jinja, LimitsStopHostileTemplates) {
  JinjaLimits limits;
  limits.max_output_bytes = 1000;
  limits.max_loop_iterations = 500;
  limits.max_depth = 30;
  EXPECT_NE(std::string(error_of("{% for i in range(100000) %}x{% endfor %}", "{}", limits).what()).find("loop"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("{% for i in [1] * 400 %}{{ 'abc' }}{% endfor %}", "{}", limits).what()).find("limit"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("{{ 'x' * 100000000000 }}", "{}", limits).what()).find("limit"), std::string::npos);
  EXPECT_NE(std::string(error_of("{% set ns = namespace(s='ab') %}{% for i in range(40) %}{% set ns.s = ns.s + ns.s %}{% endfor %}",
                                 "{}", limits).what()).find("limit"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", "{}", limits).what()).find("nested"),
            std::string::npos);
  EXPECT_NE(std::string(error_of("{{ " + std::string(200, '(') + "1" + std::string(200, ')') + " }}", "{}", limits).what()).find("nested"),
            std::string::npos);
  const std::string deep = std::string(5000, '[') + std::string(5000, ']');
  EXPECT_NE(std::string(error_of("{{ " + deep + " }}", "{}", limits).what()).find("nested"), std::string::npos);
}

TEST(Jinja, ContextMustBeAnObject) {
  EXPECT_THROW(JinjaTemplate("x").render("[1]"), JinjaError);
  EXPECT_THROW(JinjaTemplate("x").render("{oops"), JinjaError);
}

TEST(ChatTemplateJinja, RenderJsonPassesToolsKwargsAndReasoning) {
  // What transformers passes: tools and documents (None when absent), add_generation_prompt,
  // the special tokens, the kwargs; reasoning under any name also as reasoning_content.
  const auto chat = grpo::ChatTemplate::from_string(
      "{{ bos_token }}{% for m in messages %}[{{ m.role }}:{{ m.content }}|{{ m.reasoning_content }}]{% endfor %}"
      "{{ tools is none }}{{ documents is none }}{{ enable_thinking }}{% if add_generation_prompt %}>{% endif %}",
      {{"bos_token", "<s>"}});
  EXPECT_EQ(chat.render_json(R"([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a", "thinking": "t"}])",
                             true, R"({"enable_thinking": false})"),
            "<s>[user:hi|][assistant:a|t]TrueTrueFalse>");
  EXPECT_EQ(chat.render({{"user", "x"}}, false), "<s>[user:x|]TrueTrue");
  EXPECT_THROW(chat.render_json("{}", false), c10::Error);
  const auto raising = grpo::ChatTemplate::from_string("{{ raise_exception('no system role') }}", {}, "gemma.jinja");
  try {
    raising.render({{"system", "s"}}, false);
    ADD_FAILURE() << "no error";
  } catch (const c10::Error& e) {
    EXPECT_NE(std::string(e.what()).find("gemma.jinja:1:4: raise_exception: no system role"), std::string::npos)
        << e.what();
  }
}

}  // namespace

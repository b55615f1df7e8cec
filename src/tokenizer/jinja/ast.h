#pragma once
// The syntax tree of a Jinja template: expressions and statements, each with its position.

#include "tokenizer/jinja/value.h"

#include <memory>
#include <string>
#include <vector>

namespace grpo::detail::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

/// Arguments written at a call, filter or test: positional, keyword, *args, **kwargs.
struct CallArgs {
  std::vector<ExprPtr> positional;
  std::vector<std::pair<std::string, ExprPtr>> keyword;
  ExprPtr star;
  ExprPtr star_star;
};

struct Expr {
  enum Kind {
    kLiteral,   // literal
    kName,      // name
    kList,      // items
    kTuple,     // items
    kDict,      // items: key, value, key, value...
    kGetAttr,   // a.name
    kGetItem,   // a[b]
    kSlice,     // a[b:c:d] (missing parts null)
    kCall,      // a(args)
    kFilter,    // a | name(args); a null inside a filter block
    kTest,      // a is [not] name(args)
    kUnary,     // name: "-", "+", "not"
    kBinary,    // a name b: + - * / // % ** ~ and or
    kCompare,   // a ops[0] items[0] ops[1] items[1]...
    kCondition  // a if b else c (c may be null)
  };
  Kind kind;
  int64_t line = 0;
  int64_t column = 0;
  Value literal;
  std::string name;
  bool negated = false;
  ExprPtr a, b, c;
  std::vector<ExprPtr> items;
  std::vector<std::string> ops;
  CallArgs args;
};

struct Node;
using NodePtr = std::unique_ptr<Node>;
using Body = std::vector<NodePtr>;

/// A target of `for` or `set`: names (several for tuple unpacking) or one `ns.attr`.
struct Target {
  std::vector<std::string> names;
  ExprPtr object;  // set ns.attr = ...: the namespace expression
  std::string attribute;
};

struct MacroParam {
  std::string name;
  ExprPtr fallback;  // may be null
};

struct Node {
  enum Kind {
    kText,        // text
    kOutput,      // {{ expr }}
    kIf,          // conditions[i] -> bodies[i]; else_body
    kFor,         // for target in expr [if condition] body else else_body
    kSet,         // set target = expr
    kSetBlock,    // set target [| filter] body endset
    kMacro,       // macro name(params) body
    kCallBlock,   // call(params) expr body
    kFilterBlock, // filter expr(a = null) body
    kWith,        // with names = values body
    kBreak,
    kContinue,
    kGeneration,  // generation body endgeneration: rendered as its body
  };
  Kind kind;
  int64_t line = 0;
  int64_t column = 0;
  std::string text;
  ExprPtr expr;
  ExprPtr condition;
  Target target;
  std::vector<ExprPtr> conditions;
  std::vector<Body> bodies;
  Body body;
  Body else_body;
  std::string name;
  std::vector<MacroParam> params;
  std::vector<std::pair<std::string, ExprPtr>> assignments;  // kWith
};

}  // namespace grpo::detail::jinja

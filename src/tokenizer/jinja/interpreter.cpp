// The Jinja evaluator (see interpreter.h): statements write into one output string; loops and
// macros open scopes (frames) as jinja2 does, so that `set` inside a loop does not leak out of
// it (templates carry state across iterations in a namespace()).
#include "tokenizer/jinja/interpreter.h"

#include "tokenizer/jinja/builtins.h"

#include <memory>
#include <unordered_map>

namespace grpo::detail::jinja {
namespace {

struct Frame {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Frame> parent;

  const Value* find(const std::string& name) const {
    for (const Frame* f = this; f; f = f->parent.get()) {
      auto it = f->vars.find(name);
      if (it != f->vars.end()) return &it->second;
    }
    return nullptr;
  }
};
using FramePtr = std::shared_ptr<Frame>;

FramePtr child(const FramePtr& parent) {
  auto frame = std::make_shared<Frame>();
  frame->parent = parent;
  return frame;
}

enum class Flow { kNormal, kBreak, kContinue };

class Renderer {
 public:
  Renderer(const JinjaLimits& limits) : limits_(limits) { env_.limits = &limits; }

  std::string run(const Body& body, const Value& context) {
    root_ = std::make_shared<Frame>();
    if (context.type == Type::kDict) {
      for (const auto& item : context.dict->items) {
        if (item.first.is_string()) root_->vars[item.first.s] = item.second;
      }
    }
    std::string out;
    exec(body, root_, out);
    return out;
  }

 private:
  // ---- statements ---------------------------------------------------------------------------

  Flow exec(const Body& body, const FramePtr& frame, std::string& out) {
    for (const auto& node : body) {
      const Flow flow = exec_node(*node, frame, out);
      if (flow != Flow::kNormal) return flow;
    }
    return Flow::kNormal;
  }

  void append(std::string& out, const std::string& text) {
    out += text;
    env_.check_size(out.size());
  }

  Flow exec_node(const Node& node, const FramePtr& frame, std::string& out) {
    try {
      switch (node.kind) {
        case Node::kText: append(out, node.text); return Flow::kNormal;
        case Node::kOutput: append(out, to_str(eval(*node.expr, frame))); return Flow::kNormal;
        case Node::kIf:
          for (size_t k = 0; k < node.conditions.size(); ++k) {
            if (truthy(eval(*node.conditions[k], frame))) return exec(node.bodies[k], frame, out);
          }
          return exec(node.else_body, frame, out);
        case Node::kFor: return exec_for(node, frame, out);
        case Node::kSet: assign(node.target, eval(*node.expr, frame), frame); return Flow::kNormal;
        case Node::kSetBlock: {
          std::string text;
          exec(node.body, frame, text);
          Value value = Value::string(std::move(text));
          if (node.expr) value = eval_filters(*node.expr, value, frame);
          assign(node.target, value, frame);
          return Flow::kNormal;
        }
        case Node::kMacro: frame->vars[node.name] = make_macro(node, frame, node.name); return Flow::kNormal;
        case Node::kCallBlock: {
          const Value caller = make_macro(node, frame, "caller");
          const Expr& call = *node.expr;
          Value callee = eval(*call.a, frame);
          Args args = eval_args(call.args, frame);
          args.keyword.emplace_back("caller", caller);
          append(out, to_str(invoke(callee, args)));
          return Flow::kNormal;
        }
        case Node::kFilterBlock: {
          std::string text;
          exec(node.body, child(frame), text);
          append(out, to_str(eval_filters(*node.expr, Value::string(std::move(text)), frame)));
          return Flow::kNormal;
        }
        case Node::kWith: {
          FramePtr inner = child(frame);
          for (const auto& assignment : node.assignments) inner->vars[assignment.first] = eval(*assignment.second, frame);
          return exec(node.body, inner, out);
        }
        case Node::kBreak: return Flow::kBreak;
        case Node::kContinue: return Flow::kContinue;
        case Node::kGeneration: return exec(node.body, frame, out);
      }
    } catch (Error& e) {
      if (e.line == 0) {
        e.line = node.line;
        e.column = node.column;
      }
      throw;
    }
    return Flow::kNormal;
  }

  void bind(const Target& target, const Value& value, const FramePtr& frame) {
    if (target.names.size() == 1) {
      frame->vars[target.names[0]] = value;
      return;
    }
    if (value.is_undefined()) fail("cannot unpack an undefined value");
    const std::vector<Value> items = iterate(value);
    if (items.size() != target.names.size()) {
      fail("cannot unpack " + std::to_string(items.size()) + " values into " + std::to_string(target.names.size()) + " names");
    }
    for (size_t k = 0; k < items.size(); ++k) frame->vars[target.names[k]] = items[k];
  }

  void assign(const Target& target, const Value& value, const FramePtr& frame) {
    if (!target.object) {
      bind(target, value, frame);
      return;
    }
    const Value object = eval(*target.object, frame);
    if (object.type != Type::kNamespace) fail("cannot assign attribute on non-namespace object");
    if (!target.attribute.empty() && target.attribute[0] == '_') {
      fail("chat templates cannot store underscore-prefixed attributes on a namespace, but got '" + target.attribute + "'");
    }
    object.dict->set(Value::string(target.attribute), value);
  }

  Flow exec_for(const Node& node, const FramePtr& frame, std::string& out) {
    const Value iterable = eval(*node.expr, frame);
    if (!(iterable.is_undefined() || iterable.is_sequence() || iterable.is_string() || iterable.is_mapping())) {
      fail(std::string("'") + type_name(iterable) + "' object is not iterable");
    }
    std::vector<Value> items = iterate(iterable);
    FramePtr inner = child(frame);
    if (node.condition) {
      std::vector<Value> kept;
      for (const auto& item : items) {
        env_.count_iterations(1);
        bind(node.target, item, inner);
        if (truthy(eval(*node.condition, inner))) kept.push_back(item);
      }
      items = std::move(kept);
    }
    if (items.empty()) return exec(node.else_body, frame, out) == Flow::kNormal ? Flow::kNormal : Flow::kNormal;
    const auto n = static_cast<int64_t>(items.size());
    auto cycle_index = std::make_shared<int64_t>(0);
    for (int64_t k = 0; k < n; ++k) {
      env_.count_iterations(1);
      bind(node.target, items[static_cast<size_t>(k)], inner);
      auto loop = std::make_shared<Dict>();
      loop->items.reserve(13);
      auto put = [&](const char* key, Value v) { loop->items.emplace_back(Value::string(key), std::move(v)); };
      put("index", Value::integer(k + 1));
      put("index0", Value::integer(k));
      put("revindex", Value::integer(n - k));
      put("revindex0", Value::integer(n - k - 1));
      put("first", Value::boolean(k == 0));
      put("last", Value::boolean(k == n - 1));
      put("length", Value::integer(n));
      put("depth", Value::integer(1));
      put("depth0", Value::integer(0));
      put("previtem", k > 0 ? items[static_cast<size_t>(k - 1)] : Value::undefined("previtem"));
      put("nextitem", k + 1 < n ? items[static_cast<size_t>(k + 1)] : Value::undefined("nextitem"));
      put("cycle", Value::function("cycle", [k](Args& args) {
            if (args.positional.empty()) fail("no items for cycling given");
            return args.positional[static_cast<size_t>(k) % args.positional.size()];
          }));
      inner->vars["loop"] = Value::make_dict(std::move(loop));
      const Flow flow = exec(node.body, inner, out);
      if (flow == Flow::kBreak) break;
    }
    return Flow::kNormal;
  }

  Value make_macro(const Node& node, const FramePtr& frame, const std::string& name) {
    std::weak_ptr<Frame> closure = frame;
    const Node* def = &node;
    return Value::function(name, [this, def, closure](Args& args) -> Value {
      if (++depth_ > limits_.max_depth) {
        --depth_;
        fail("macro calls nested deeper than " + std::to_string(limits_.max_depth));
      }
      struct Leave {
        int64_t* depth;
        ~Leave() { --*depth; }
      } leave{&depth_};
      FramePtr parent = closure.lock();
      FramePtr inner = child(parent ? parent : root_);
      std::vector<bool> bound(def->params.size(), false);
      for (size_t k = 0; k < def->params.size() && k < args.positional.size(); ++k) {
        inner->vars[def->params[k].name] = args.positional[k];
        bound[k] = true;
      }
      List varargs;
      for (size_t k = def->params.size(); k < args.positional.size(); ++k) varargs.push_back(args.positional[k]);
      auto kwargs = std::make_shared<Dict>();
      for (const auto& kw : args.keyword) {
        bool matched = false;
        for (size_t k = 0; k < def->params.size(); ++k) {
          if (def->params[k].name == kw.first) {
            inner->vars[kw.first] = kw.second;
            bound[k] = true;
            matched = true;
          }
        }
        if (kw.first == "caller") {
          inner->vars["caller"] = kw.second;
        } else if (!matched) {
          kwargs->set(Value::string(kw.first), kw.second);
        }
      }
      for (size_t k = 0; k < def->params.size(); ++k) {
        if (bound[k]) continue;
        inner->vars[def->params[k].name] =
            def->params[k].fallback ? eval(*def->params[k].fallback, inner) : Value::undefined(def->params[k].name);
      }
      inner->vars["varargs"] = Value::make_list(std::move(varargs));
      inner->vars["kwargs"] = Value::make_dict(kwargs);
      std::string text;
      exec(def->body, inner, text);
      return Value::string(std::move(text));
    });
  }

  // ---- expressions --------------------------------------------------------------------------

  Value lookup(const std::string& name, const FramePtr& frame) {
    if (const Value* v = frame->find(name)) return *v;
    Value g = global(name, env_);
    if (!g.is_undefined()) return g;
    return Value::undefined(name);
  }

  Args eval_args(const CallArgs& call, const FramePtr& frame) {
    Args args;
    for (const auto& e : call.positional) args.positional.push_back(eval(*e, frame));
    if (call.star) {
      for (auto& v : iterate(eval(*call.star, frame))) args.positional.push_back(std::move(v));
    }
    for (const auto& kw : call.keyword) args.keyword.emplace_back(kw.first, eval(*kw.second, frame));
    if (call.star_star) {
      const Value d = eval(*call.star_star, frame);
      if (d.type != Type::kDict) fail("argument after ** must be a mapping");
      for (const auto& item : d.dict->items) args.keyword.emplace_back(to_str(item.first), item.second);
    }
    return args;
  }

  Value invoke(const Value& callee, Args& args) {
    if (callee.type != Type::kCallable) {
      if (callee.is_undefined()) fail("'" + (callee.s.empty() ? std::string("value") : callee.s) + "' is undefined");
      fail(std::string("'") + type_name(callee) + "' object is not callable");
    }
    return callee.call->fn(args);
  }

  /// `expr` is a chain of kFilter nodes whose innermost operand is null: applies it to `value`.
  Value eval_filters(const Expr& expr, const Value& value, const FramePtr& frame) {
    const Value input = expr.a ? eval_filters(*expr.a, value, frame) : value;
    Args args = eval_args(expr.args, frame);
    return apply_filter(expr.name, input, args, env_);
  }

  Value eval(const Expr& expr, const FramePtr& frame) {
    try {
      return eval_inner(expr, frame);
    } catch (Error& e) {
      if (e.line == 0) {
        e.line = expr.line;
        e.column = expr.column;
      }
      throw;
    }
  }

  Value eval_inner(const Expr& expr, const FramePtr& frame) {
    switch (expr.kind) {
      case Expr::kLiteral: return expr.literal;
      case Expr::kName: return lookup(expr.name, frame);
      case Expr::kList:
      case Expr::kTuple: {
        List items;
        items.reserve(expr.items.size());
        for (const auto& e : expr.items) items.push_back(eval(*e, frame));
        return Value::make_list(std::move(items), expr.kind == Expr::kTuple);
      }
      case Expr::kDict: {
        auto d = std::make_shared<Dict>();
        for (size_t k = 0; k + 1 < expr.items.size(); k += 2) {
          const Value key = eval(*expr.items[k], frame);  // Python evaluates the key first
          d->set(key, eval(*expr.items[k + 1], frame));
        }
        return Value::make_dict(std::move(d));
      }
      case Expr::kGetAttr: {
        const Value object = eval(*expr.a, frame);
        if (object.is_undefined()) fail(undefined_message(object, *expr.a) + " has no attribute '" + expr.name + "'");
        return get_attr(object, expr.name);
      }
      case Expr::kGetItem: {
        const Value object = eval(*expr.a, frame);
        const Value key = eval(*expr.b, frame);
        if (object.is_undefined()) fail(undefined_message(object, *expr.a) + " has no item " + to_repr(key));
        return get_item(object, key);
      }
      case Expr::kSlice: {
        const Value object = eval(*expr.a, frame);
        if (object.is_undefined()) fail(undefined_message(object, *expr.a) + " cannot be sliced");
        const Value start = expr.b ? eval(*expr.b, frame) : Value();
        const Value stop = expr.c ? eval(*expr.c, frame) : Value();
        const Value step = expr.items.empty() ? Value() : eval(*expr.items[0], frame);
        return slice(object, start, stop, step);
      }
      case Expr::kCall: {
        const Value callee = eval(*expr.a, frame);
        Args args = eval_args(expr.args, frame);
        return invoke(callee, args);
      }
      case Expr::kFilter: {
        const Value input = eval(*expr.a, frame);
        Args args = eval_args(expr.args, frame);
        return apply_filter(expr.name, input, args, env_);
      }
      case Expr::kTest: {
        const Value input = eval(*expr.a, frame);
        Args args = eval_args(expr.args, frame);
        const bool result = apply_test(expr.name, input, args, env_);
        return Value::boolean(expr.negated ? !result : result);
      }
      case Expr::kUnary: {
        const Value v = eval(*expr.a, frame);
        if (expr.name == "not") return Value::boolean(!truthy(v));
        if (expr.name == "-") {
          if (v.type == Type::kFloat) return Value::number(-v.f);
          if (v.is_int()) {
            if (v.as_int() == INT64_MIN) fail("integer overflow");
            return Value::integer(-v.as_int());
          }
          fail(std::string("bad operand type for unary -: '") + type_name(v) + "'");
        }
        if (v.type == Type::kBool) return Value::integer(v.as_int());
        if (!v.is_number()) fail(std::string("bad operand type for unary +: '") + type_name(v) + "'");
        return v;
      }
      case Expr::kBinary: {
        if (expr.name == "and") {
          Value left = eval(*expr.a, frame);
          return truthy(left) ? eval(*expr.b, frame) : left;
        }
        if (expr.name == "or") {
          Value left = eval(*expr.a, frame);
          return truthy(left) ? left : eval(*expr.b, frame);
        }
        const Value left = eval(*expr.a, frame);
        const Value right = eval(*expr.b, frame);
        return binary_op(expr.name, left, right, env_);
      }
      case Expr::kCompare: {
        Value left = eval(*expr.a, frame);
        for (size_t k = 0; k < expr.ops.size(); ++k) {
          Value right = eval(*expr.items[k], frame);
          const std::string& op = expr.ops[k];
          bool result;
          if (op == "==") result = equals(left, right);
          else if (op == "!=") result = !equals(left, right);
          else if (op == "in") result = contains(right, left);
          else if (op == "not in") result = !contains(right, left);
          else {
            if (left.is_undefined() || right.is_undefined()) fail("'" + (left.is_undefined() ? left.s : right.s) + "' is undefined");
            if (op == "<") result = less(left, right);
            else if (op == ">") result = less(right, left);
            else if (op == "<=") result = !less(right, left);
            else result = !less(left, right);
          }
          if (!result) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case Expr::kCondition: {
        if (truthy(eval(*expr.b, frame))) return eval(*expr.a, frame);
        return expr.c ? eval(*expr.c, frame) : Value::undefined();
      }
    }
    fail("unknown expression");
  }

  static std::string undefined_message(const Value& v, const Expr& source) {
    if (!v.s.empty()) return "'" + v.s + "' is undefined and";
    if (source.kind == Expr::kGetAttr) return "'" + source.name + "' is undefined and";
    return "an undefined value";
  }

  const JinjaLimits& limits_;
  Env env_;
  FramePtr root_;
  int64_t depth_ = 0;
};

}  // namespace

std::string render(const JinjaProgram& program, const Value& context, const JinjaLimits& limits) {
  return Renderer(limits).run(program.body, context);
}

}  // namespace grpo::detail::jinja

// The Jinja parser (see parser.h). Precedence, lowest first, as jinja2's parser:
// conditional (a if b else c), or, and, not, comparisons (== != < <= > >= in, not in),
// + -, ~, * / // %, **, unary - +, then primaries with postfix . [] () and | filters, is tests.
#include "tokenizer/jinja/parser.h"

#include <cstdlib>

namespace grpo::detail::jinja {
namespace {

class Parser {
 public:
  Parser(const std::vector<Token>& tokens, int64_t max_depth) : t_(tokens), max_depth_(max_depth) {}

  Body parse_template() {
    Body body = parse_body({});
    if (cur().kind != Token::kEnd) error("unexpected token '" + cur().text + "'");
    return body;
  }

 private:
  struct DepthGuard {
    Parser* p;
    explicit DepthGuard(Parser* parser) : p(parser) {
      if (++p->depth_ > p->max_depth_) p->error("template nested too deeply");
    }
    ~DepthGuard() { --p->depth_; }
  };

  const Token& cur() const { return t_[p_]; }
  const Token& peek(size_t n = 1) const { return t_[std::min(p_ + n, t_.size() - 1)]; }
  void next() {
    if (p_ + 1 < t_.size()) ++p_;
  }
  bool is_op(const char* op) const { return cur().kind == Token::kOperator && cur().text == op; }
  bool is_name(const char* name) const { return cur().kind == Token::kName && cur().text == name; }
  bool skip_op(const char* op) {
    if (!is_op(op)) return false;
    next();
    return true;
  }
  bool skip_name(const char* name) {
    if (!is_name(name)) return false;
    next();
    return true;
  }
  [[noreturn]] void error(const std::string& message) const {
    throw Error{message, cur().line, cur().column};
  }
  static std::string describe(const Token& token) {
    switch (token.kind) {
      case Token::kEnd: return "end of template";
      case Token::kBlockEnd: return "end of statement block";
      case Token::kVariableEnd: return "end of print statement";
      case Token::kData: return "template data";
      default: return "'" + token.text + "'";
    }
  }
  void expect_op(const char* op) {
    if (!skip_op(op)) error(std::string("expected '") + op + "', got " + describe(cur()));
  }
  void expect_block_end() {
    if (cur().kind != Token::kBlockEnd) error("expected end of statement block, got " + describe(cur()));
    next();
  }
  std::string expect_name() {
    if (cur().kind != Token::kName) error("expected a name, got " + describe(cur()));
    std::string name = cur().text;
    next();
    return name;
  }

  template <typename N>
  std::unique_ptr<N> make(typename N::Kind kind, const Token& at) {
    auto node = std::make_unique<N>();
    node->kind = kind;
    node->line = at.line;
    node->column = at.column;
    return node;
  }

  // ---- statements -----------------------------------------------------------------------

  /// Statements until a block tag whose name is in `ends` (left current, after its '{%') or
  /// the end of the template (only when `ends` is empty).
  Body parse_body(const std::vector<std::string>& ends) {
    DepthGuard guard(this);
    Body body;
    while (true) {
      const Token& token = cur();
      switch (token.kind) {
        case Token::kEnd:
          if (!ends.empty()) error("unexpected end of template, expected '" + ends.back() + "'");
          return body;
        case Token::kData: {
          auto node = make<Node>(Node::kText, token);
          node->text = token.text;
          body.push_back(std::move(node));
          next();
          break;
        }
        case Token::kVariableBegin: {
          next();
          auto node = make<Node>(Node::kOutput, token);
          node->expr = parse_tuple(true, {});
          if (cur().kind != Token::kVariableEnd) error("expected end of print statement, got " + describe(cur()));
          next();
          body.push_back(std::move(node));
          break;
        }
        case Token::kBlockBegin: {
          next();
          if (cur().kind == Token::kName) {
            for (const auto& end : ends) {
              if (cur().text == end) return body;
            }
          }
          body.push_back(parse_statement(ends));
          break;
        }
        default: error("unexpected " + describe(token));
      }
    }
  }

  NodePtr parse_statement(const std::vector<std::string>& ends) {
    const Token& at = cur();
    if (at.kind != Token::kName) error("expected a statement name, got " + describe(at));
    const std::string keyword = at.text;
    if (keyword == "if") return parse_if();
    if (keyword == "for") return parse_for();
    if (keyword == "set") return parse_set();
    if (keyword == "macro") return parse_macro();
    if (keyword == "call") return parse_call_block();
    if (keyword == "filter") return parse_filter_block();
    if (keyword == "with") return parse_with();
    if (keyword == "generation") {
      next();
      expect_block_end();
      auto node = make<Node>(Node::kGeneration, at);
      node->body = parse_body({"endgeneration"});
      close_block();
      return node;
    }
    if (keyword == "break" || keyword == "continue") {
      if (loop_depth_ == 0) error("'" + keyword + "' outside of a loop");
      next();
      expect_block_end();
      return make<Node>(keyword == "break" ? Node::kBreak : Node::kContinue, at);
    }
    if (keyword == "include" || keyword == "extends" || keyword == "import" || keyword == "from" ||
        keyword == "block") {
      error("'" + keyword + "' is not supported in chat templates (a template has no loader)");
    }
    std::string message = "encountered unknown tag '" + keyword + "'";
    if (!ends.empty()) message += "; expected '" + ends.back() + "'";
    error(message);
  }

  /// Consumes the end tag name (current) and its '%}'.
  void close_block() {
    next();
    expect_block_end();
  }

  NodePtr parse_if() {
    auto node = make<Node>(Node::kIf, cur());
    next();
    while (true) {
      node->conditions.push_back(parse_tuple(true, {}));
      expect_block_end();
      node->bodies.push_back(parse_body({"elif", "else", "endif"}));
      if (is_name("elif")) {
        next();
        continue;
      }
      if (is_name("else")) {
        next();
        expect_block_end();
        node->else_body = parse_body({"endif"});
      }
      close_block();
      return node;
    }
  }

  Target parse_target(bool allow_namespace) {
    Target target;
    const bool parens = skip_op("(");
    target.names.push_back(expect_name());
    if (allow_namespace && is_op(".")) {
      next();
      auto object = make<Expr>(Expr::kName, cur());
      object->name = target.names[0];
      target.object = std::move(object);
      target.attribute = expect_name();
      target.names.clear();
      return target;
    }
    while (skip_op(",")) {
      if (cur().kind != Token::kName) break;
      target.names.push_back(expect_name());
    }
    if (parens) expect_op(")");
    return target;
  }

  NodePtr parse_for() {
    auto node = make<Node>(Node::kFor, cur());
    next();
    node->target = parse_target(false);
    if (!skip_name("in")) error("expected 'in', got " + describe(cur()));
    node->expr = parse_tuple(false, {"recursive"});
    if (skip_name("if")) node->condition = parse_expression(true);
    if (is_name("recursive")) error("recursive loops are not supported");
    expect_block_end();
    ++loop_depth_;
    node->body = parse_body({"endfor", "else"});
    --loop_depth_;
    if (is_name("else")) {
      next();
      expect_block_end();
      node->else_body = parse_body({"endfor"});
    }
    close_block();
    return node;
  }

  NodePtr parse_set() {
    const Token& at = cur();
    next();
    Target target = parse_target(true);
    if (skip_op("=")) {
      auto node = make<Node>(Node::kSet, at);
      node->target = std::move(target);
      node->expr = parse_tuple(true, {});
      expect_block_end();
      return node;
    }
    auto node = make<Node>(Node::kSetBlock, at);
    node->target = std::move(target);
    if (is_op("|")) node->expr = parse_filters(nullptr);
    expect_block_end();
    const int saved = loop_depth_;
    node->body = parse_body({"endset"});
    loop_depth_ = saved;
    close_block();
    return node;
  }

  std::vector<MacroParam> parse_params() {
    std::vector<MacroParam> params;
    expect_op("(");
    while (!is_op(")")) {
      if (!params.empty()) expect_op(",");
      if (is_op(")")) break;
      MacroParam param;
      param.name = expect_name();
      if (skip_op("=")) param.fallback = parse_expression(true);
      params.push_back(std::move(param));
    }
    expect_op(")");
    return params;
  }

  NodePtr parse_macro() {
    auto node = make<Node>(Node::kMacro, cur());
    next();
    node->name = expect_name();
    node->params = parse_params();
    expect_block_end();
    const int saved = loop_depth_;
    loop_depth_ = 0;
    node->body = parse_body({"endmacro"});
    loop_depth_ = saved;
    close_block();
    return node;
  }

  NodePtr parse_call_block() {
    auto node = make<Node>(Node::kCallBlock, cur());
    next();
    if (is_op("(")) node->params = parse_params();
    node->expr = parse_expression(true);
    if (node->expr->kind != Expr::kCall) error("expected a call after 'call'");
    expect_block_end();
    const int saved = loop_depth_;
    loop_depth_ = 0;
    node->body = parse_body({"endcall"});
    loop_depth_ = saved;
    close_block();
    return node;
  }

  NodePtr parse_filter_block() {
    auto node = make<Node>(Node::kFilterBlock, cur());
    next();
    node->expr = parse_filters(nullptr, true);
    expect_block_end();
    node->body = parse_body({"endfilter"});
    close_block();
    return node;
  }

  NodePtr parse_with() {
    auto node = make<Node>(Node::kWith, cur());
    next();
    while (cur().kind != Token::kBlockEnd) {
      if (!node->assignments.empty()) expect_op(",");
      std::string name = expect_name();
      expect_op("=");
      node->assignments.emplace_back(std::move(name), parse_expression(true));
    }
    expect_block_end();
    node->body = parse_body({"endwith"});
    close_block();
    return node;
  }

  // ---- expressions ------------------------------------------------------------------------

  bool is_tuple_end(const std::vector<std::string>& extra_ends) const {
    const Token& token = cur();
    if (token.kind == Token::kVariableEnd || token.kind == Token::kBlockEnd || token.kind == Token::kEnd) return true;
    if (token.kind == Token::kOperator && token.text == ")") return true;
    if (token.kind == Token::kName) {
      for (const auto& end : extra_ends) {
        if (token.text == end) return true;
      }
    }
    return false;
  }

  ExprPtr parse_tuple(bool with_condexpr, const std::vector<std::string>& extra_ends, bool explicit_parens = false) {
    const Token& at = cur();
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) expect_op(",");
      if (is_tuple_end(extra_ends)) break;
      items.push_back(parse_expression(with_condexpr));
      if (is_op(",")) {
        is_tuple = true;
      } else {
        break;
      }
    }
    if (!is_tuple) {
      if (!items.empty()) return std::move(items[0]);
      if (!explicit_parens) error("expected an expression, got " + describe(cur()));
    }
    auto node = make<Expr>(Expr::kTuple, at);
    node->items = std::move(items);
    return node;
  }

  ExprPtr parse_expression(bool with_condexpr) {
    DepthGuard guard(this);
    if (!with_condexpr) return parse_or();
    ExprPtr expr = parse_or();
    while (is_name("if")) {
      const Token& at = cur();
      next();
      auto node = make<Expr>(Expr::kCondition, at);
      node->b = parse_or();
      if (skip_name("else")) node->c = parse_expression(true);
      node->a = std::move(expr);
      expr = std::move(node);
    }
    return expr;
  }

  ExprPtr binary(const Token& at, const std::string& op, ExprPtr left, ExprPtr right) {
    auto node = make<Expr>(Expr::kBinary, at);
    node->name = op;
    node->a = std::move(left);
    node->b = std::move(right);
    return node;
  }

  ExprPtr parse_or() {
    ExprPtr left = parse_and();
    while (is_name("or")) {
      const Token& at = cur();
      next();
      left = binary(at, "or", std::move(left), parse_and());
    }
    return left;
  }

  ExprPtr parse_and() {
    ExprPtr left = parse_not();
    while (is_name("and")) {
      const Token& at = cur();
      next();
      left = binary(at, "and", std::move(left), parse_not());
    }
    return left;
  }

  ExprPtr parse_not() {
    if (is_name("not")) {
      DepthGuard guard(this);
      auto node = make<Expr>(Expr::kUnary, cur());
      next();
      node->name = "not";
      node->a = parse_not();
      return node;
    }
    return parse_compare();
  }

  ExprPtr parse_compare() {
    const Token& at = cur();
    ExprPtr expr = parse_math1();
    std::vector<std::string> ops;
    std::vector<ExprPtr> operands;
    while (true) {
      const Token& token = cur();
      if (token.kind == Token::kOperator &&
          (token.text == "==" || token.text == "!=" || token.text == "<" || token.text == ">" ||
           token.text == "<=" || token.text == ">=")) {
        ops.push_back(token.text);
        next();
      } else if (is_name("in")) {
        ops.push_back("in");
        next();
      } else if (is_name("not") && peek().kind == Token::kName && peek().text == "in") {
        ops.push_back("not in");
        next();
        next();
      } else {
        break;
      }
      operands.push_back(parse_math1());
    }
    if (ops.empty()) return expr;
    auto node = make<Expr>(Expr::kCompare, at);
    node->a = std::move(expr);
    node->ops = std::move(ops);
    node->items = std::move(operands);
    return node;
  }

  ExprPtr parse_math1() {
    ExprPtr left = parse_concat();
    while (is_op("+") || is_op("-")) {
      const Token& at = cur();
      const std::string op = at.text;
      next();
      left = binary(at, op, std::move(left), parse_concat());
    }
    return left;
  }

  ExprPtr parse_concat() {
    ExprPtr left = parse_math2();
    while (is_op("~")) {
      const Token& at = cur();
      next();
      left = binary(at, "~", std::move(left), parse_math2());
    }
    return left;
  }

  ExprPtr parse_math2() {
    ExprPtr left = parse_pow();
    while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
      const Token& at = cur();
      const std::string op = at.text;
      next();
      left = binary(at, op, std::move(left), parse_pow());
    }
    return left;
  }

  ExprPtr parse_pow() {
    ExprPtr left = parse_unary(true);
    while (is_op("**")) {
      const Token& at = cur();
      next();
      left = binary(at, "**", std::move(left), parse_unary(true));
    }
    return left;
  }

  ExprPtr parse_unary(bool with_filter) {
    DepthGuard guard(this);
    const Token& at = cur();
    ExprPtr node;
    if (is_op("-") || is_op("+")) {
      node = make<Expr>(Expr::kUnary, at);
      node->name = at.text;
      next();
      node->a = parse_unary(false);
    } else {
      node = parse_primary();
    }
    node = parse_postfix(std::move(node));
    if (with_filter) node = parse_filter_expr(std::move(node));
    return node;
  }

  ExprPtr parse_primary() {
    const Token& at = cur();
    switch (at.kind) {
      case Token::kName: {
        next();
        if (at.text == "true" || at.text == "True" || at.text == "false" || at.text == "False") {
          auto node = make<Expr>(Expr::kLiteral, at);
          node->literal = Value::boolean(at.text == "true" || at.text == "True");
          return node;
        }
        if (at.text == "none" || at.text == "None") {
          auto node = make<Expr>(Expr::kLiteral, at);
          node->literal = Value::none();
          return node;
        }
        auto node = make<Expr>(Expr::kName, at);
        node->name = at.text;
        return node;
      }
      case Token::kString: {
        std::string text;
        while (cur().kind == Token::kString) {
          text += cur().text;
          next();
        }
        auto node = make<Expr>(Expr::kLiteral, at);
        node->literal = Value::string(std::move(text));
        return node;
      }
      case Token::kInteger: {
        next();
        auto node = make<Expr>(Expr::kLiteral, at);
        errno = 0;
        const long long v = std::strtoll(at.text.c_str(), nullptr, 10);
        if (errno) {
          node->literal = Value::number(std::strtod(at.text.c_str(), nullptr));
        } else {
          node->literal = Value::integer(v);
        }
        return node;
      }
      case Token::kFloat: {
        next();
        auto node = make<Expr>(Expr::kLiteral, at);
        node->literal = Value::number(std::strtod(at.text.c_str(), nullptr));
        return node;
      }
      case Token::kOperator: {
        if (at.text == "(") {
          next();
          ExprPtr expr = parse_tuple(true, {}, true);
          expect_op(")");
          return expr;
        }
        if (at.text == "[") {
          next();
          auto node = make<Expr>(Expr::kList, at);
          while (!is_op("]")) {
            if (!node->items.empty()) expect_op(",");
            if (is_op("]")) break;
            node->items.push_back(parse_expression(true));
          }
          expect_op("]");
          return node;
        }
        if (at.text == "{") {
          next();
          auto node = make<Expr>(Expr::kDict, at);
          while (!is_op("}")) {
            if (!node->items.empty()) expect_op(",");
            if (is_op("}")) break;
            node->items.push_back(parse_expression(true));
            expect_op(":");
            node->items.push_back(parse_expression(true));
          }
          expect_op("}");
          return node;
        }
        break;
      }
      default: break;
    }
    error("unexpected " + describe(at));
  }

  ExprPtr parse_postfix(ExprPtr node) {
    while (true) {
      const Token& at = cur();
      if (is_op(".")) {
        next();
        if (cur().kind == Token::kName) {
          auto attr = make<Expr>(Expr::kGetAttr, at);
          attr->name = cur().text;
          attr->a = std::move(node);
          next();
          node = std::move(attr);
        } else if (cur().kind == Token::kInteger) {
          auto item = make<Expr>(Expr::kGetItem, at);
          auto index = make<Expr>(Expr::kLiteral, cur());
          index->literal = Value::integer(std::strtoll(cur().text.c_str(), nullptr, 10));
          item->a = std::move(node);
          item->b = std::move(index);
          next();
          node = std::move(item);
        } else {
          error("expected a name after '.', got " + describe(cur()));
        }
      } else if (is_op("[")) {
        next();
        node = parse_subscript(at, std::move(node));
        expect_op("]");
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_subscript(const Token& at, ExprPtr object) {
    ExprPtr start;
    if (!is_op(":")) {
      start = parse_expression(true);
      if (!is_op(":")) {
        if (is_op(",")) {  // a[x, y]: a tuple key
          auto tuple = make<Expr>(Expr::kTuple, at);
          tuple->items.push_back(std::move(start));
          while (skip_op(",")) {
            if (is_op("]")) break;
            tuple->items.push_back(parse_expression(true));
          }
          start = std::move(tuple);
        }
        auto node = make<Expr>(Expr::kGetItem, at);
        node->a = std::move(object);
        node->b = std::move(start);
        return node;
      }
    }
    auto node = make<Expr>(Expr::kSlice, at);
    node->a = std::move(object);
    node->b = std::move(start);
    expect_op(":");
    if (!is_op("]") && !is_op(":")) node->c = parse_expression(true);
    if (skip_op(":")) {
      if (!is_op("]")) node->items.push_back(parse_expression(true));
    }
    return node;
  }

  CallArgs parse_args() {
    CallArgs args;
    expect_op("(");
    bool first = true;
    while (!is_op(")")) {
      if (!first) expect_op(",");
      first = false;
      if (is_op(")")) break;
      if (skip_op("**")) {
        args.star_star = parse_expression(true);
      } else if (skip_op("*")) {
        args.star = parse_expression(true);
      } else if (cur().kind == Token::kName && peek().kind == Token::kOperator && peek().text == "=") {
        std::string name = cur().text;
        next();
        next();
        args.keyword.emplace_back(std::move(name), parse_expression(true));
      } else {
        if (!args.keyword.empty()) error("positional argument after keyword argument");
        args.positional.push_back(parse_expression(true));
      }
    }
    expect_op(")");
    return args;
  }

  ExprPtr parse_call(ExprPtr callee) {
    auto node = make<Expr>(Expr::kCall, cur());
    node->line = callee->line;
    node->column = callee->column;
    node->args = parse_args();
    node->a = std::move(callee);
    return node;
  }

  std::string parse_dotted_name() {
    std::string name = expect_name();
    while (is_op(".") && peek().kind == Token::kName) {
      next();
      name += "." + expect_name();
    }
    return name;
  }

  /// `| name(args) | ...` applied to `node` (null inside a filter block or block set).
  ExprPtr parse_filters(ExprPtr node, bool start_inline = false) {
    while (start_inline || is_op("|")) {
      if (!start_inline) next();
      start_inline = false;
      auto filter = make<Expr>(Expr::kFilter, cur());
      filter->name = parse_dotted_name();
      if (is_op("(")) filter->args = parse_args();
      filter->a = std::move(node);
      node = std::move(filter);
    }
    return node;
  }

  ExprPtr parse_filter_expr(ExprPtr node) {
    while (true) {
      if (is_op("|")) {
        node = parse_filters(std::move(node));
      } else if (is_name("is")) {
        node = parse_test(std::move(node));
      } else if (is_op("(")) {
        node = parse_call(std::move(node));
      } else {
        return node;
      }
    }
  }

  ExprPtr parse_test(ExprPtr node) {
    const Token& at = cur();
    next();  // is
    const bool negated = skip_name("not");
    auto test = make<Expr>(Expr::kTest, at);
    test->name = parse_dotted_name();
    test->negated = negated;
    const Token& token = cur();
    if (is_op("(")) {
      test->args = parse_args();
    } else if ((token.kind == Token::kName || token.kind == Token::kString || token.kind == Token::kInteger ||
                token.kind == Token::kFloat || (token.kind == Token::kOperator && (token.text == "(" || token.text == "[" || token.text == "{"))) &&
               !(token.kind == Token::kName && (token.text == "else" || token.text == "or" || token.text == "and"))) {
      if (is_name("is")) error("you cannot chain multiple tests with is");
      ExprPtr arg = parse_primary();
      test->args.positional.push_back(parse_postfix(std::move(arg)));
    }
    test->a = std::move(node);
    return test;
  }

  const std::vector<Token>& t_;
  size_t p_ = 0;
  int64_t max_depth_;
  int64_t depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Body parse(const std::vector<Token>& tokens, int64_t max_depth) {
  return Parser(tokens, max_depth).parse_template();
}

}  // namespace grpo::detail::jinja

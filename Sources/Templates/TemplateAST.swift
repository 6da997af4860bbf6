// The syntax tree of a parsed template: statements (text, output, for, if, set, macro) and the
// expressions inside them. Every node keeps its line for error messages.
import Foundation

/// An expression.
indirect enum Expr: Sendable {
    case literal(TemplateValue)
    case name(String)
    case list([Expr])
    case tuple([Expr])
    case dict([(Expr, Expr)])
    case attribute(Expr, String)
    case `subscript`(Expr, Expr)
    case slice(Expr, start: Expr?, stop: Expr?, step: Expr?)
    case call(Expr, Arguments)
    case filter(Expr, name: String, Arguments)
    case test(Expr, name: String, Arguments, negated: Bool)
    case unary(String, Expr)
    case binary(String, Expr, Expr)
    case and(Expr, Expr)
    case or(Expr, Expr)
    case not(Expr)
    case conditional(then: Expr, condition: Expr, otherwise: Expr?)
    /// Any expression, tagged with its line (the evaluator reports errors at the innermost tag).
    case at(Int, Expr)
}

/// Call arguments: positional, then keyword.
struct Arguments: Sendable {
    var positional: [Expr] = []
    var keyword: [(String, Expr)] = []
}

/// A statement.
indirect enum Node: Sendable {
    case text(String)
    case output(Expr, line: Int)
    case forLoop(targets: [String], iterable: Expr, filter: Expr?, body: [Node], otherwise: [Node], line: Int)
    case ifChain(branches: [(Expr, [Node])], otherwise: [Node], line: Int)
    case set(target: SetTarget, value: Expr, line: Int)
    case setBlock(name: String, body: [Node], line: Int)
    case macro(name: String, parameters: [(String, Expr?)], body: [Node], line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// transformers' `{% generation %}` block (marks assistant text); it renders its body.
    case generation([Node])
}

/// The left side of `{% set %}`.
enum SetTarget: Sendable {
    case name(String)
    case names([String])
    case attribute(String, String)
}

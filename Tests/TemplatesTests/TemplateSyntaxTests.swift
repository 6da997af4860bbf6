// The Jinja interpreter on small hand-worked examples: whitespace control as transformers configures
// it, expressions and their precedence, statements and scoping.
import Foundation
import Testing
@testable import Templates

func render(_ source: String, _ context: [String: TemplateValue] = [:], options: RenderOptions = RenderOptions()) throws -> String {
    try Template(source).render(context, options: options)
}

/// The error a template throws when parsed and rendered, or nil.
func templateError(_ source: String, _ context: [String: TemplateValue] = [:], options: RenderOptions = RenderOptions()) -> TemplateError? {
    do {
        _ = try render(source, context, options: options)
        return nil
    } catch let error as TemplateError {
        return error
    } catch {
        return nil
    }
}

@Suite("Jinja syntax and whitespace")
struct TemplateSyntaxTests {
    @Test("trim_blocks drops the newline after a block tag; lstrip_blocks the indentation before it")
    func blockWhitespace() throws {
        // "a\n" then the for line (indent stripped, newline trimmed), "  x\n" per item, endfor line gone.
        let source = "a\n  {% for i in [1, 2] %}\n  x{{ i }}\n  {% endfor %}\nb"
        #expect(try render(source) == "a\n  x1\n  x2\nb")
        // Output tags are neither trimmed nor stripped.
        #expect(try render("  {{ 1 }}\nz") == "  1\nz")
        // Comments behave like blocks.
        #expect(try render("p\n   {# note #}\nq") == "p\nq")
    }

    @Test("{%- and -%} strip all whitespace on their side, newlines included; + keeps the indentation")
    func dashControl() throws {
        #expect(try render("a  \n {%- if true -%} \n\n b {%- endif %}") == "ab")
        #expect(try render("x {{- 'y' -}} \n z") == "xyz")
        #expect(try render("  {%+ if true %}k{% endif %}") == "  k")
    }

    @Test("one trailing newline of the template is dropped, as keep_trailing_newline=False does")
    func trailingNewline() throws {
        #expect(try render("hi\n") == "hi")
        #expect(try render("hi\n\n") == "hi\n")
        #expect(try render("a\r\nb") == "a\nb")
    }

    @Test("string literals: both quotes, escapes, adjacent literals joined")
    func strings() throws {
        #expect(try render(#"{{ 'it\'s' ~ "\t\"q\"\n" ~ '\u00e9' }}"#) == "it's\t\"q\"\né")
        #expect(try render("{{ 'a' 'b' }}") == "ab")
    }

    @Test("operator precedence: ** over * over + ; ~ between; comparisons, not, and, or, ternary")
    func precedence() throws {
        // 1 + 2 * 3 ** 2 = 1 + 2 * 9 = 19; 7 // 2 = 3; -7 // 2 = -4 (floor); -7 % 3 = 2 (Python sign rule).
        #expect(try render("{{ 1 + 2 * 3 ** 2 }} {{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }}") == "19 3 -4 2 3.5 2.0")
        // ~ binds looser than * and tighter than +: 2 * 3 ~ 4 = "64", and 1 + 2 ~ 3 = 1 + "23", a type error.
        #expect(try render("{{ 2 * 3 ~ 4 }}") == "64")
        #expect(templateError("{{ 1 + 2 ~ 3 }}")?.kind == .runtime)
        #expect(try render("{{ not 1 == 2 and 3 > 2 or false }}") == "True")
        #expect(try render("{{ 'y' if 2 in [1, 2] else 'n' }}{{ 'y' if 'b' not in 'abc' else 'n' }}") == "yn")
        // A conditional without else is undefined, which prints nothing.
        #expect(try render("[{{ 'x' if false }}]") == "[]")
        // Filters bind tighter than +: 'a' + ' b '|trim = "ab".
        #expect(try render("{{ 'a' + ' b '|trim }}") == "ab")
    }

    @Test("subscripts, negative indices and slices with steps")
    func slicing() throws {
        let xs: TemplateValue = .array([.int(1), .int(2), .int(3), .int(4)])
        #expect(try render("{{ xs[-1] }} {{ xs[1:3] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[:-1] }} {{ 'hello'[1:-1] }} {{ 'abc'[::-1] }}", ["xs": xs])
            == "4 [2, 3] [4, 3, 2, 1] [1, 3] [1, 2, 3] ell cba")
        #expect(try render("{{ xs[9] is defined }}", ["xs": xs]) == "False")
    }

    @Test("attributes read dict keys; a missing key is undefined; reading through undefined fails")
    func attributes() throws {
        let m: TemplateValue = .object([("role", .string("user")), ("content", .string("hi"))])
        #expect(try render("{{ m.role }}/{{ m['content'] }}/{{ m.tool_calls }}/{{ m.tool_calls is defined }}", ["m": m]) == "user/hi//False")
        let error = templateError("ok\n{{ m.tool_calls.name }}", ["m": m])
        #expect(error?.kind == .runtime && error?.line == 2)
    }

    @Test("for: loop variables, else, inline filter, tuple unpacking of items()")
    func loops() throws {
        #expect(try render("{% for x in 'abc' %}{{ loop.index }}{{ x }}{{ loop.revindex0 }}{% if loop.first %}F{% endif %}{% if loop.last %}L{% endif %},{% endfor %}")
            == "1a2F,2b1,3c0L,")
        #expect(try render("{% for x in [] %}x{% else %}empty{% endfor %}") == "empty")
        // With an inline filter, loop.length counts the kept items.
        #expect(try render("{% for x in [1, 2, 3, 4] if x is even %}{{ x }}/{{ loop.length }} {% endfor %}") == "2/2 4/2 ")
        let d: TemplateValue = .object([("b", .int(1)), ("a", .int(2))])
        #expect(try render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}{% for k in d %}{{ k }}{% endfor %}", ["d": d]) == "b=1;a=2;ba")
        #expect(try render("{% for x in [1, 2, 3, 4] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}") == "13")
        #expect(try render("{% for x in [1, 2] %}{{ loop.previtem }}{{ loop.nextitem }}|{% endfor %}") == "2|1|")
    }

    @Test("set inside a loop stays in the iteration; namespace attributes carry out")
    func scoping() throws {
        #expect(try render("{% set x = 0 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}") == "12|0")
        #expect(try render("{% set ns = namespace(total=0) %}{% for i in [1, 2, 3] %}{% set ns.total = ns.total + i %}{% endfor %}{{ ns.total }}") == "6")
        // set inside if is visible after it.
        #expect(try render("{% if true %}{% set y = 'in' %}{% endif %}{{ y }}") == "in")
        #expect(try render("{% set a, b = [1, 2] %}{{ b }}{{ a }}{% set blk %}<{{ a }}>{% endset %}{{ blk }}") == "21<1>")
    }

    @Test("macros with defaults and keyword arguments; they see top-level names, not the caller's locals")
    func macros() throws {
        let source = """
            {%- set top = 'T' -%}
            {%- macro tag(name, close=false) -%}<{{ '/' if close }}{{ name }}{{ top }}>{%- endmacro -%}
            {%- for i in [1] -%}{%- set top2 = 'no' -%}{{ tag('a') }}{{ tag('b', close=true) }}{%- endfor -%}
            """
        #expect(try render(source) == "<aT></bT>")
    }

    @Test("tests: defined, none, string, mapping, iterable, number, equalto with a bare argument, divisibleby")
    func tests() throws {
        let ctx: [String: TemplateValue] = ["n": .none, "s": .string("x"), "d": .object([]), "i": .int(6)]
        #expect(try render("{{ n is none }}{{ s is string }}{{ d is mapping }}{{ s is iterable }}{{ i is number }}{{ i is not string }}", ctx)
            == "TrueTrueTrueTrueTrueTrue")
        #expect(try render("{{ i is divisibleby 3 }}{{ i is equalto 6 }}{{ q is defined }}{{ n is defined }}{{ true is true }}{{ 1 is true }}", ctx)
            == "TrueTrueFalseTrueTrueFalse")
    }

    @Test("Python values print as Python prints them")
    func printing() throws {
        let v: TemplateValue = .object([("a", .array([.int(1), .double(2.5), .bool(true), .none, .string("it's")]))])
        #expect(try render("{{ v }} {{ 1.0 }} {{ 0.1 + 0.2 }} {{ none }} {{ [] }}", ["v": v])
            == #"{'a': [1, 2.5, True, None, "it's"]} 1.0 0.30000000000000004 None []"#)
    }

    @Test("Markup (|safe) joined with + escapes the plain string, as Jinja's Markup does; ~ does not")
    func markup() throws {
        #expect(try render("{{ '<a>'|safe + '<b>' }}|{{ '<c>' + '<d>'|safe }}|{{ '<a>'|safe ~ '<b>' }}") == "<a>&lt;b&gt;|&lt;c&gt;<d>|<a><b>")
    }
}

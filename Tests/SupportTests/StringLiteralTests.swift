import Support
import Testing

@Suite struct StringLiteralTests {
    /// Python: json.dumps('a"b\\c\n\x08\x01é', ensure_ascii=False) == '"a\\"b\\\\c\\n\\b\\u0001é"'.
    @Test func jsonEscapesQuotesBackslashesAndControlCharacters() {
        #expect(StringLiteral.json("a\"b\\c\n\u{08}\u{01}é") == #""a\"b\\c\n\b\u0001é""#)
        #expect(StringLiteral.json("\u{7F}") == "\"\u{7F}\"")
        #expect(StringLiteral.json("\u{7F}", escapeDelete: true) == #""\u007f""#)
    }

    /// Python: json.dumps('é😀') == '"\\u00e9\\ud83d\\ude00"' (UTF-16 units, lowercase hex).
    @Test func asciiOnlyWritesUTF16Units() {
        #expect(StringLiteral.json("é😀", asciiOnly: true) == #""\u00e9\ud83d\ude00""#)
    }

    /// Python: repr("it's") == '"it\'s"', repr('a\tb\x01') == "'a\\tb\\x01'".
    @Test func pythonReprPicksTheQuoteAndEscapesControls() {
        #expect(StringLiteral.python("it's") == "\"it's\"")
        #expect(StringLiteral.python("a\tb\u{01}") == #"'a\tb\x01'"#)
    }
}

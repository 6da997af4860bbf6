// llama.cpp's pre-tokenizer names (GGUF `tokenizer.ggml.pre`) mapped to split regexes.
//
// Source: ggml-org/llama.cpp src/llama-vocab.cpp (read at commit eb6a99c and in the copy vendored by
// llama-cpp-python 0.3.36): `llama_vocab::impl::load` maps each name to a pre-type and sets
// `ignore_merges` / `add_bos`; the `llm_tokenizer_bpe` constructor gives each pre-type its list of
// regexes. Each regex splits every current piece, keeping both matches and the text between them
// (`unicode_regex_split`), which is `Split(pattern, Isolated)` in `tokenizers` terms; the pieces
// are then byte-level encoded. Only pre-types whose regexes are plain regexes are listed (types
// handled by custom C++ code, such as kimi-k2 or afmoe, are not).
import Foundation

/// What a llama.cpp pre-tokenizer name implies.
public struct LlamaCppPreTokenizer: Sendable, Equatable {
    /// The regexes, applied in order (each as `Split(Isolated)`).
    public var patterns: [String]
    /// Use a word that is itself a token without merging (llama.cpp `ignore_merges`).
    public var ignoreMerges: Bool
    /// llama.cpp's default for adding BOS (GGUF `tokenizer.ggml.add_bos_token` overrides it).
    public var addBOS: Bool

    /// The pre-tokenizer: the splits, then byte-level mapping without GPT-2's regex.
    public var preTokenizer: PreTokenizer {
        .sequence(patterns.map { .split(pattern: .regex($0), behavior: .isolated) } + [.byteLevel(addPrefixSpace: false, useRegex: false)])
    }

    // Regexes exactly as in llama-vocab.cpp (its "adapted" forms where it has them).
    static let gpt2 = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#
    static let llama3 =
        #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen2 =
        #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let qwen35 =
        #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?[\p{L}\p{M}]+|\p{N}| ?[^\s\p{L}\p{M}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let gpt4o =
        #"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let tekken =
        #"[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))*((?=[\p{L}])([^A-Z]))+|[^\r\n\p{L}\p{N}]?((?=[\p{L}])([^a-z]))+((?=[\p{L}])([^A-Z]))*|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    static let poro = #" ?[^(\s|.,!?…。，、।۔،)]+"#
    /// deepseek-llm's letter class (explicit ranges instead of \p{L}) and its ASCII + full-width punctuation.
    static let deepseekLetters = #"[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-ώᾀ-ᾴᾶ-ᾼιῂ-ῄῆ-ῌῐ-ΐῖ-Ίῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤΩℨK-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ𐐀-𐑏𐒰-𐓓𐓘-𐓻𐲀-𐲲𐳀-𐳲𑢠-𑣟𞤀-𞥃]"#
    static let deepseekPunctuation = #"[!-/:-~！-／：-～‘-‟　-。]"#
    /// `\s` as llama.cpp's std::wregex sees it: ASCII whitespace (with \v) plus every non-ASCII
    /// whitespace code point (mapped to \v before matching); ICU's `\s` lacks \v and U+0085.
    static let wregexSpace = #"[\s\x{0B}\x{85}]"#

    /// The entry for `name`, or nil when llama.cpp does not know it or it is not supported here.
    /// A missing or empty name means llama.cpp's "default" (with its "quality will be degraded" warning).
    public static func named(_ name: String?) -> LlamaCppPreTokenizer? {
        let name = name ?? ""
        func entry(_ patterns: [String], ignoreMerges: Bool = false, addBOS: Bool = false) -> LlamaCppPreTokenizer {
            LlamaCppPreTokenizer(patterns: patterns, ignoreMerges: ignoreMerges, addBOS: addBOS)
        }
        switch name {
        case "", "default":
            return entry([#"[\p{P}\$\+<=>\^~\|]+"#, gpt2, #"\p{N}+"#, "[0-9][0-9][0-9]"])
        case "llama3", "llama-v3", "llama-bpe", "falcon3", "falcon-h1", "pixtral", "midm-2.0", "lfm2", "jina-v5-nano":
            return entry([llama3], ignoreMerges: true, addBOS: true)
        case "dbrx", "smaug-bpe", "chatglm-bpe":
            return entry([llama3])
        case "glm4", "glm5":
            return entry([llama3], ignoreMerges: true)
        case "gpt2",  // not a llama.cpp name: an alias for "gpt-2", for callers that spell it as the model type
             "gpt-2", "phi-2", "jina-es", "jina-de", "gigachat", "jina-v2-es", "jina-v2-de", "a.x-4.0", "mellum",
             "modern-bert", "jina-v1-en", "jina-v2-code", "roberta-bpe", "exaone4", "mpt", "olmo", "jais", "trillion",
             "granite-docling":
            return entry([gpt2])
        case "starcoder", "refact", "command-r", "smollm", "codeshell", "exaone", "minerva-7b":
            return entry([#"\p{N}"#, gpt2])
        case "falcon":
            return entry([#"[\p{P}\$\+<=>\^~\|`]+"#, gpt2, "[0-9][0-9][0-9]"])
        case "qwen2", "deepseek-r1-qwen", "kormo", "f2llmv2", "megrez", "stablelm2", "hunyuan", "solar-open", "grok-2":
            return entry([qwen2])
        case "qwen35":
            return entry([qwen35])
        case "deepseek-coder":
            return entry(["[\r\n]", #"\s?\p{L}+"#, #"\s?\p{P}+"#, "[一-龥ࠀ-一가-퟿]+", #"\p{N}"#])
        case "deepseek-llm":
            // `\s+$`: std::regex's `$` (no multiline) is the end of the piece, ICU's `\z`.
            return entry(["[\r\n]", wregexSpace + "?" + deepseekLetters + "+", wregexSpace + "?" + deepseekPunctuation + "+",
                          wregexSpace + #"+\z"#, "[一-龥ࠀ-一가-퟿]+", #"\p{N}+"#])
        case "deepseek-v3":
            return entry([#"\p{N}{1,3}"#, "[一-龥぀-ゟ゠-ヿ]+",
                          ##"[!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~][A-Za-z]+|[^\r\n\p{L}\p{P}\p{S}]?[\p{L}\p{M}]+| ?[\p{P}\p{S}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"##])
        case "poro-chat", "bloom", "gpt3-finnish":
            return entry([poro])
        case "viking":
            return entry([poro, #"\p{N}"#])
        case "tekken":
            return entry([tekken], ignoreMerges: true, addBOS: true)
        case "gpt-4o", "llama4", "kanana2", "talkie", "minimax-m2":
            return entry([gpt4o])
        case "seed-coder":
            return entry([#"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1}| ?[^\s\p{L}\p{N}\r\n]+|\s*[\r\n]+|\s+(?!\S)|\s+"#])
        default:
            return nil
        }
    }
}

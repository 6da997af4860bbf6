// `Codable` for the pipeline components, in their tokenizer.json form, so that other modules can
// embed them in their own configurations (e.g. the pre-tokenizer of a `tokenalign tokenizer train`
// config). Decoding errors are `TokenizerError`s with the JSON path inside the component.
import Support
import Foundation

extension Normalizer: Codable {
    public init(from decoder: any Decoder) throws { self = try Normalizer(node: JSONNode(JSONValue(from: decoder), file: "Normalizer")) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

extension PreTokenizer: Codable {
    public init(from decoder: any Decoder) throws { self = try PreTokenizer(node: JSONNode(JSONValue(from: decoder), file: "PreTokenizer")) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

extension PostProcessor: Codable {
    public init(from decoder: any Decoder) throws { self = try PostProcessor(node: JSONNode(JSONValue(from: decoder), file: "PostProcessor")) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

extension TokenDecoder: Codable {
    public init(from decoder: any Decoder) throws { self = try TokenDecoder(node: JSONNode(JSONValue(from: decoder), file: "TokenDecoder")) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

extension AddedToken: Codable {
    public init(from decoder: any Decoder) throws { self = try AddedToken(node: JSONNode(JSONValue(from: decoder), file: "AddedToken")) }
    public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}

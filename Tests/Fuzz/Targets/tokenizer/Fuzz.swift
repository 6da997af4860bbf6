// libFuzzer target for FuzzHarness.targets["tokenizer"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_tokenizer_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }

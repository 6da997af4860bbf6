// libFuzzer target for FuzzHarness.targets["jsonl"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_jsonl_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }

// libFuzzer target for FuzzHarness.targets["template"]; built only by scripts/fuzz.sh.
import FuzzDriver

@_cdecl("fuzz_template_main")
func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt { runFuzzer(argc, argv) }

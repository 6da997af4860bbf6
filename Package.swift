// swift-tools-version: 6.0
// TokenAlign: token-level reward alignment for language models, on the CPU, in Swift.
import Foundation
import PackageDescription

// Numeric targets are compiled for the building machine's CPU (AVX2/AVX-512 vector code instead of
// the SSE2 baseline: 1.5–2.3× faster transcendental kernels measured here). Set
// TOKENALIGN_TARGET_CPU (e.g. `haswell`) to build binaries for other machines.
#if arch(x86_64)
let targetCPU = ProcessInfo.processInfo.environment["TOKENALIGN_TARGET_CPU"] ?? "native"
let cpuFlags = ["-target-cpu", targetCPU]
#else
let cpuFlags: [String] = []
#endif

let unchecked: [SwiftSetting] = [.unsafeFlags(["-Ounchecked"] + cpuFlags, .when(configuration: .release))]

let package = Package(
    name: "TokenAlign",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tokenalign", targets: ["tokenalign"]),
        .library(name: "TensorCore", targets: ["TensorCore"]),
        .library(name: "Autograd", targets: ["Autograd"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "Optim", targets: ["Optim"]),
        .library(name: "Checkpoints", targets: ["Checkpoints"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        // OpenBLAS on Linux (apt: libopenblas-dev). On macOS TensorCore uses Accelerate instead.
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        // Products on weights kept in GGML block formats (Q8_0, Q4_0, Q4_1) and bfloat16: scalar, AVX2
        // and AVX-512 VNNI kernels chosen at run time (cpuid). No contraction of a·b + c into fused
        // multiply-adds the source does not spell out, so every path rounds alike.
        .target(
            name: "CQuant",
            cSettings: [.unsafeFlags(["-ffp-contract=off"]), .unsafeFlags(["-O3"], .when(configuration: .release))]
        ),
        .target(
            name: "TensorCore",
            dependencies: ["CQuant", "Support", .target(name: "CBLAS", condition: .when(platforms: [.linux]))],
            swiftSettings: unchecked
        ),
        // What several modules share (Foundation only): the method registries, the seeded SplitMix64
        // generator, string escaping, and the one JSON value with its reader, writer and JSON Lines.
        .target(name: "Support"),
        // Collectives for data-parallel training: a single process, or MPI_COMM_WORLD of an Open MPI job
        // loaded with dlopen only under a launcher (no MPI headers or library needed to build or run alone).
        .target(name: "Distributed"),
        .target(name: "Autograd", dependencies: ["TensorCore"], swiftSettings: unchecked),
        .target(name: "NN", dependencies: ["Autograd", "TensorCore"], swiftSettings: unchecked),
        .target(name: "Optim", dependencies: ["NN", "Autograd", "TensorCore"], swiftSettings: unchecked),
        .target(name: "Checkpoints", dependencies: ["TensorCore", "Support"], swiftSettings: unchecked),
        // The Jinja subset Hugging Face chat templates use: lexer, parser, bounded evaluator. Foundation only.
        .target(name: "Templates", dependencies: ["Support"]),
        // Byte-level BPE tokenizers, chat templates (rendered by Templates), BPE trainer. Foundation only.
        .target(name: "Tokenizers", dependencies: ["Templates", "Support"]),
        .target(name: "Models", dependencies: ["NN", "Autograd", "TensorCore", "Checkpoints", "Tokenizers", "Support"], swiftSettings: unchecked),
        .target(name: "Decoding", dependencies: ["Models", "Autograd", "TensorCore", "Tokenizers"], swiftSettings: unchecked),
        .target(name: "Objectives", dependencies: ["Autograd", "TensorCore", "Support", "Rewards"], swiftSettings: unchecked),
        // TRL-format JSONL datasets, token annotations, collation, splits. Tokenizers only.
        .target(name: "Datasets", dependencies: ["Tokenizers", "Support"]),
        // Synthetic verifiable tasks with ground-truth token credit (first error, labels, minimal edits); the
        // verifier as a token-reward source. Tokenizers and Rewards only.
        .target(name: "CreditBench", dependencies: ["Tokenizers", "Rewards", "Support"]),
        // The token-reward contract (Episode → TokenRewards) and its adapters; lexicon (VADER) and profanity
        // token rewards, corpus prompts for sentiment alignment. Tokenizers only.
        .target(name: "Rewards", dependencies: ["Tokenizers", "Support"]),
        // Trainers (SFT, reward models, preference optimisation), checkpoints, exact resume, run folders.
        .target(
            name: "Training",
            dependencies: ["Autograd", "NN", "Optim", "Models", "Objectives", "Datasets", "Checkpoints", "Tokenizers", "Support",
                           "Distributed", "TensorCore", .product(name: "Yams", package: "Yams"), "Decoding"],
            swiftSettings: unchecked
        ),
        // Online RL: rollouts, reward functions, the GRPO / RLOO / REINFORCE++ loop on the RL maths of Objectives.
        .target(
            name: "OnlineRL",
            dependencies: ["Autograd", "NN", "Optim", "Models", "Decoding", "Objectives", "Datasets", "Checkpoints", "Tokenizers",
                           "Training", "CreditBench", "Rewards", "Support", "TensorCore", "Distributed"],
            swiftSettings: unchecked),
        // Sequence-level search (issue 14): searchers (best-of-N, votes, early rejection, step beam, MCTS),
        // the scorers they rank with (reward models, the CreditBench verifier, reward functions) and
        // the cost ledger every searcher fills.
        .target(
            name: "Search",
            dependencies: ["Models", "Decoding", "Tokenizers", "Rewards", "CreditBench", "Training", "OnlineRL", "Support",
                           "TensorCore", "Autograd", "Datasets", "Evaluation", "NN", "Optim"],
            swiftSettings: unchecked),
        // Credit-localisation metrics with bootstrap intervals (model-agnostic; more scorers later).
        .target(name: "Evaluation", dependencies: ["Support"]),
        // End-to-end experiments behind `tokenalign demo` (CreditBench pipeline): data → tokenizer →
        // SFT → sampling → preference methods → accuracy, KL and credit localisation → report.
        .target(
            name: "Experiments",
            dependencies: ["Training", "Models", "Decoding", "Objectives", "Datasets", "CreditBench", "Evaluation", "Reports", "Tokenizers", "Rewards",
                           "OnlineRL", "TensorCore", "Support", "Autograd", "Search", "Guidance"],
            swiftSettings: unchecked),
        // Decoding-time guides (RAD, ARGS, GenARM, UniR-style logits, DoLa layer contrast): the guide registry
        // and a logit processor that adds their scores to the base logits, each guide with its own KV cache.
        .target(name: "Guidance", dependencies: ["Models", "Decoding", "Training", "Support", "TensorCore", "Autograd", "Tokenizers"],
                swiftSettings: unchecked),
        // Markdown and self-contained HTML reports: tables, inline-SVG charts, token heatmaps.
        .target(name: "Reports"),
        // Counts heap allocations for `tokenalign bench` (interposes the C allocator on glibc).
        .target(name: "CAllocationCounter"),
        .target(
            name: "TokenAlignCLI",
            dependencies: [
                "TensorCore", "Autograd", "NN", "Optim", "Checkpoints", "Tokenizers", "Models", "Decoding", "CAllocationCounter",
                "CreditBench", "Distributed", "Rewards",
                "Datasets", "Training", "Objectives", "Experiments", "Reports", "Support", "OnlineRL", "Guidance", "Search", "Evaluation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        .executableTarget(name: "tokenalign", dependencies: ["TokenAlignCLI"]),
        .target(name: "TestSupport", dependencies: ["TensorCore", "Autograd", "Tokenizers", "Datasets", "Support"]),
        // Tiny models trained once per test process on CreditBench tasks (library calls only, no CLI), shared by
        // the online-RL, search and command-line tests.
        .target(name: "TrainedFixtures", dependencies: ["TestSupport", "Training", "OnlineRL", "Search", "CreditBench", "Decoding", "Models",
                                                       "Tokenizers"]),
        // The parsers behind the libFuzzer targets (docs/design/hardening.md): bytes in, parsed or refused.
        .target(name: "FuzzHarness", dependencies: ["Checkpoints", "Models", "Tokenizers", "Templates", "Datasets", "Training", "OnlineRL",
                                                   "Experiments", "Rewards", "Support"]),
        .testTarget(name: "FuzzHarnessTests", dependencies: ["FuzzHarness"]),
        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "TensorCoreTests", dependencies: ["TensorCore", "CQuant", "TestSupport"]),
        .testTarget(name: "AutogradTests", dependencies: ["Autograd", "TensorCore", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "Optim", "Autograd", "TensorCore", "TestSupport"]),
        .testTarget(name: "OptimTests", dependencies: ["Optim", "NN", "Autograd", "TensorCore", "Checkpoints", "TestSupport"]),
        .testTarget(
            name: "CheckpointsTests",
            dependencies: ["Checkpoints", "TensorCore", "Support", "TestSupport"],
            resources: []
        ),
        .testTarget(name: "TemplatesTests", dependencies: ["Templates"]),
        .testTarget(name: "TokenizersTests", dependencies: ["Tokenizers", "Templates", "Support"]),
        .testTarget(name: "ModelsTests", dependencies: ["Models", "Decoding", "Checkpoints", "NN", "Autograd", "TensorCore", "TestSupport", "Training"]),
        .testTarget(name: "DecodingTests", dependencies: ["Decoding", "Models", "Autograd", "TensorCore", "TestSupport"]),
        .testTarget(name: "TokenAlignCLITests", dependencies: ["TokenAlignCLI", "Tokenizers", "Datasets", "Training", "TestSupport", "TrainedFixtures",
                                                              "CreditBench", "Experiments", "Objectives", "Autograd", "Support", "Search", "OnlineRL", "Models",
                                                              .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                                              .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "EvaluationTests", dependencies: ["Evaluation", "Support"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "ObjectivesTests", dependencies: ["Objectives", "Rewards", "Autograd", "TensorCore", "TestSupport"]),
        .testTarget(name: "DatasetsTests", dependencies: ["Datasets", "Tokenizers"]),
        .testTarget(name: "RewardsTests", dependencies: ["Rewards", "Tokenizers", "Models", "Checkpoints"]),
        .testTarget(name: "CreditBenchTests", dependencies: ["CreditBench", "Tokenizers", "Datasets", "Rewards", "TestSupport"]),
        .testTarget(name: "ExperimentsTests", dependencies: ["Experiments", "Evaluation", "Models", "Checkpoints", "Objectives",
                                                            "CreditBench", "Rewards", "Support", "Datasets", "Tokenizers", "Search", "OnlineRL", "Training"]),
        .testTarget(name: "OnlineRLTests", dependencies: ["OnlineRL", "Rewards", "Datasets", "Training", "Objectives", "Models", "Tokenizers", "CreditBench", "Decoding", "TensorCore", "TestSupport",
                                                         "TrainedFixtures", "Experiments", "Search", "Autograd", "Distributed", "NN"]),
        .testTarget(name: "GuidanceTests", dependencies: ["Guidance", "Decoding", "Models", "Training", "Objectives", "Tokenizers",
                                                         "TestSupport", "Support", "Autograd", "TensorCore"]),
        .testTarget(name: "SearchTests", dependencies: ["Search", "OnlineRL", "CreditBench", "Decoding", "Models", "NN", "Autograd",
                                                        "TensorCore", "Tokenizers", "Training", "Datasets", "Support", "TestSupport", "TrainedFixtures"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Datasets", "Models", "Objectives", "Tokenizers", "TestSupport",
                                                         "Distributed", "Autograd", "Checkpoints", "NN", "Support", "TensorCore"]),
    ]
)

// libFuzzer executables, one per input format, only when TOKENALIGN_FUZZ=1 (scripts/fuzz.sh builds
// them with -sanitize=fuzzer,address into .build-fuzz), so the normal build and CI never see them.
if ProcessInfo.processInfo.environment["TOKENALIGN_FUZZ"] == "1" {
    package.targets.append(.target(name: "FuzzDriver", dependencies: ["FuzzHarness"], path: "Tests/Fuzz/Driver"))
    for name in ["safetensors", "gguf", "config", "tokenizer", "jsonl", "yaml", "template", "rlprompts", "rollouts", "credit", "rewardbench"] {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzDriver"], path: "Tests/Fuzz/Targets/\(name)",
                                                 swiftSettings: [.unsafeFlags(["-parse-as-library"])]))
    }
}

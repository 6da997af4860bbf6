// Every registered preference objective is checked: a worked example against the numpy reference
// and a finite-difference gradient check (both run over `Catalogue.all`), or a named dedicated test
// where the method needs inputs the shared fixture does not have. Registering a method without
// adding it here fails this suite.
import Objectives
import Testing

@Suite struct RegistryCoverageTests {
    /// Registry name → the catalogue cases that check it (numpy worked example + gradient check).
    static let catalogueCases: [String: [String]] = [
        "sigmoid": ["dpo_sigmoid"], "hinge": ["dpo_hinge"], "ipo": ["dpo_ipo", "dpo_ipo_sums"], "exo_pair": ["dpo_exo_pair"],
        "nca_pair": ["dpo_nca_pair"], "robust": ["dpo_robust"], "bco_pair": ["dpo_bco_pair"], "sppo_hard": ["dpo_sppo_hard"],
        "aot": ["dpo_aot"], "aot_unpaired": ["dpo_aot_unpaired"], "apo_zero": ["dpo_apo_zero"], "apo_down": ["dpo_apo_down"],
        "discopop": ["dpo_discopop"], "sft": ["dpo_mix_mpo"], "sigmoid_norm": ["dpo_sigmoid_norm"],
        "conservative": ["dpo_conservative"], "tdpo1": ["tdpo1"], "tdpo2": ["tdpo2"], "tgdpo": ["tgdpo"],
        "sparsepo": ["sparsepo"], "cdpo-critical": ["cdpo_critical_paper", "cdpo_critical_paper_both"],
        "cdpo-critical-code": ["cdpo_critical_code"], "rrpo": ["rrpo"], "simpo": ["simpo", "simpo_smoothed_sft", "simpo_hinge"],
        "treg": ["treg"],
        "aligndistil": ["aligndistil_theorem1", "aligndistil_theorem1Contrast", "aligndistil_theorem1Adaptive", "aligndistil_alignDistil"],
        "kto": ["kto", "kto_weighted"], "apo_zero_unpaired": ["kto_apo_zero_unpaired"],
    ]

    /// Registry name → the dedicated tests that check it instead (gradient check; reference value).
    static let dedicatedTests: [String: (gradient: String, reference: String)] = [
        "tgdpo-rewards": ("GradCheckTests.tgdpoTokenRewardGuidance",
                          "TrainingTests/TGDPORewardsTests.zeroRewardsEqualDPO (reduces to the DPO worked example)"),
        "sparsepo-learned": ("GradCheckTests.sparsePOLearnedMasks, TrainingTests/SparsePOLearnedTests",
                             "sparsepo_reward_mask_grad (the numpy case with a differentiable mask)"),
        "sparsepo-learned-indp": ("GradCheckTests.sparsePOLearnedMasks (separate masks), TrainingTests/SparsePOLearnedTests",
                                  "sparsepo_reward_mask_grad"),
    ]

    @Test func everyRegisteredObjectiveIsChecked() {
        let catalogue = Set(Catalogue.all)
        let fixture = Set(ObjectivesReference.caseNames)
        // Names starting with x-test- are throw-away registrations of the seam tests.
        for name in PreferenceObjectives.registry.names where !name.hasPrefix("x-test-") {
            if let cases = Self.catalogueCases[name] {
                #expect(!cases.isEmpty, "\(name): no catalogue case")
                for c in cases {
                    #expect(catalogue.contains(c), "\(name): case \(c) is not in Catalogue.all (no gradient check)")
                    #expect(fixture.contains(c), "\(name): case \(c) has no numpy worked example")
                }
            } else {
                #expect(Self.dedicatedTests[name] != nil,
                        "\(name) is registered but has no worked example or gradient check: add catalogue cases or dedicated tests")
            }
        }
        // No stale entries either.
        for name in Array(Self.catalogueCases.keys) + Array(Self.dedicatedTests.keys) {
            #expect(PreferenceObjectives.registry.contains(name), "\(name) is listed here but not registered")
        }
    }

    @Test func catalogueEntriesBuildTheRegisteredObjective() throws {
        // The registry's factory builds the same kind of objective the catalogue tests.
        let s = ObjectiveSettings(beta: 0.3, alpha: 0.5, labelSmoothing: 0.1)
        for (name, cases) in Self.catalogueCases {
            let built = try PreferenceObjectives.registry.entry(named: name).make(s)
            let tested = Catalogue.objective(cases[0])
            #expect(type(of: built) == type(of: tested), "\(name): registry builds \(type(of: built)), tests check \(type(of: tested))")
        }
    }

    @Test func cardsAreComplete() {
        for e in PreferenceObjectives.registry.entries {
            #expect(!e.card.summary.isEmpty, "\(e.card.name): no summary")
            #expect(e.card.name == e.card.name.lowercased(), "\(e.card.name): names are lowercase")
            for id in e.card.arxiv {
                #expect(id.wholeMatch(of: /\d{4}\.\d{4,5}/) != nil, "\(e.card.name): '\(id)' is not an arXiv id")
            }
        }
    }
}

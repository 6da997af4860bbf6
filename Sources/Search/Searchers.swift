// Every searcher `tokenalign search --method` accepts. Adding one: write the searcher (its own
// file), add one entry here, and test it.
import Support

public enum Searchers {
    public static let registry = Registry<SearcherEntry>(family: "searcher", [
        SearcherEntry(card: MethodCard(name: "greedy", summary: "Greedy decoding: one answer, no search (the baseline)"),
                      needsScorer: false) { _ in GreedySearch() },
        SearcherEntry(card: MethodCard(name: "best-of-n", aliases: ["bon"], summary: "N samples, the scorer's best (ties: the earliest sample)",
                                       arxiv: ["2210.10760"], inputs: ["scorer"], defaults: ["n": "8"]),
                      needsScorer: true) { BestOfN($0) },
        SearcherEntry(card: MethodCard(name: "majority", aliases: ["self-consistency"],
                                       summary: "N samples, the most frequent final answer (ties: the answer seen first)",
                                       arxiv: ["2203.11171"], defaults: ["n": "8"]),
                      needsScorer: false) { MajorityVote($0, weighted: false) },
        SearcherEntry(card: MethodCard(name: "weighted-majority", summary: "N samples, the final answer with the largest summed score (ties: seen first)",
                                       arxiv: ["2203.11171"], inputs: ["scorer"], defaults: ["n": "8"]),
                      needsScorer: true) { MajorityVote($0, weighted: true) },
        SearcherEntry(card: MethodCard(name: "early-reject", aliases: ["speculative-rejection"],
                                       summary: "N samples scored after τ tokens, the top fraction finished, the best returned",
                                       arxiv: ["2410.20290", "2508.01969"], inputs: ["scorer (on partial answers)"],
                                       defaults: ["n": "8", "tau": "4", "keep": "0.25"]),
                      needsScorer: true) { EarlyRejection($0) },
        SearcherEntry(card: MethodCard(name: "beam", aliases: ["step-beam"],
                                       summary: "Step-level beam search: K beams × b sampled next steps, ranked by a process reward / value",
                                       arxiv: ["2407.12863"], inputs: ["scorer (on prefixes)"],
                                       defaults: ["beam_width": "4", "expansions": "4", "step_delimiter": ";", "max_steps": "16"]),
                      needsScorer: true) { StepBeamSearch($0) },
        SearcherEntry(card: MethodCard(name: "mcts", summary: "MCTS over steps: UCT selection, b sampled steps per expansion, scorer values backed up (mean or max)",
                                       arxiv: ["2412.15797"], inputs: ["scorer (on prefixes)"],
                                       defaults: ["iterations": "16", "expansions": "4", "exploration": "1", "backup": "mean"]),
                      needsScorer: true) { StepMCTS($0) },
        SearcherEntry(card: MethodCard(name: "saffron", aliases: ["saffron-1"],
                                       summary: "Saffron: token tree search, top-p children of each node all scored by one multifurcation-RM pass, the budget best kept",
                                       arxiv: ["2506.06444"], inputs: ["multifurcation reward model (mrm:DIR), or any scorer (one row per child)"],
                                       defaults: ["budget": "8", "saffron_top_p": "0.8", "min_new_tokens": "0", "unseen_reward": "-1024"]),
                      needsScorer: true) { SaffronSearch($0) },
        SearcherEntry(card: MethodCard(name: "persona-judge", aliases: ["persona"],
                                       summary: "Persona-judge: the policy under a drafting persona proposes γ tokens, the same policy under a judging persona accepts them by speculative sampling's rule and redraws the first rejected one (no reward model)",
                                       arxiv: ["2504.12663", "2211.17192"], inputs: ["two persona texts"],
                                       defaults: ["draft_tokens": "4", "alternate_personas": "false"]),
                      needsScorer: false) { PersonaJudgeSearch($0) },
    ])
}

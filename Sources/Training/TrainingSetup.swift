// From a configuration to a ready trainer: models, tokenizer, data, split. Shared by the CLI
// commands and the tests.
import Datasets
import Foundation
import Models
import Objectives
import Tokenizers

/// A prepared run.
public struct PreparedRun {
    public var trainer: Trainer
    public var tokenizer: Tokenizer
    /// The policy as loaded (for saving the trained model with its tokenizer).
    public var pretrained: PretrainedModel
    /// How the data files were read.
    public var reports: [LoadReport]
    /// `--self-train`'s unlabelled pairs (SSRM), tokenised as --data is.
    public var unlabelled: [PreferenceExample]? = nil
    /// `--co-filter-rate`'s second reward model (co-teaching), on the same pairs.
    public var peer: Trainer? = nil
}

public enum TrainingSetup {
    /// Loads everything a configuration names and builds the trainer.
    /// - Parameter tokenizer: overrides the model's own tokenizer.
    /// - Throws: `TrainingError.invalidSetting` first, before anything is loaded, when a setting is
    ///   out of range (`TrainingConfiguration.validate`: the same checks for flags and YAML files).
    public static func prepare(_ c: TrainingConfiguration, tokenizer override: Tokenizer? = nil) throws -> PreparedRun {
        try c.validate()
        guard !c.model.isEmpty else { throw TrainingError.invalidConfiguration("--model is required") }
        guard !c.data.isEmpty else { throw TrainingError.invalidConfiguration("--data is required") }
        // A reward-model folder (score.weight) continues training its head; anything else is an LM.
        let rewardModel = c.task == .reward ? try RewardModelLoader.load(folder: URL(fileURLWithPath: c.model)) : nil
        let pretrained = try rewardModel.map { PretrainedModel(model: $0.model, tokenizer: $0.tokenizer, source: URL(fileURLWithPath: c.model)) }
            ?? PretrainedModel.load(path: c.model)
        guard let tokenizer = override ?? pretrained.tokenizer else {
            throw TrainingError.invalidConfiguration("\(c.model) has no tokenizer; pass --tokenizer")
        }
        let encoder = DatasetEncoder(tokenizer: tokenizer, options: c.encodingOptions)
        let policy: InvalidRowPolicy = c.skipInvalidRows ? .skip : .fail
        var reports: [LoadReport] = []
        // Objectives that train on unpaired rows (KTO) read another data format and cannot be mixed.
        let unpairedEntry = c.task == .preference
            ? c.loss.lazy.compactMap { try? PreferenceObjectives.registry.entry(named: $0) }.first { $0.needs.contains(.unpairedRows) } : nil
        let isKTO = unpairedEntry != nil
        if let e = unpairedEntry, c.loss.count > 1 {
            throw TrainingError.invalidConfiguration("\(e.card.name) trains on unpaired rows and cannot be mixed with pair losses")
        }

        func load(_ path: String) throws -> TrainingExamples {
            switch c.task {
            case .sft:
                let d = try DatasetLoader.sequences(path, encoder: encoder, policy: policy)
                reports.append(d.report)
                return .sequences(d.examples)
            case .preference where isKTO:
                let d = try DatasetLoader.unpaired(path, encoder: encoder, policy: policy)
                reports.append(d.report)
                return .unpaired(d.examples)
            case .reward, .preference:
                let d = try DatasetLoader.preferences(path, encoder: encoder, policy: policy)
                reports.append(d.report)
                return .pairs(d.examples)
            }
        }
        let all = try load(c.data)
        var train = all
        var eval: TrainingExamples?
        if let e = c.evalData {
            eval = try load(e)
        } else if c.evalFraction > 0 {
            let s = DataOrder.split(count: all.count, evalFraction: c.evalFraction, seed: c.seed)
            train = all.subset(s.train)
            eval = all.subset(s.eval)
        }
        let mode: TrainerMode
        var reference: (any LanguageModel)?
        var guides: [any LanguageModel] = []
        switch c.task {
        case .sft:
            mode = .sft
        case .reward where (try? RewardModelKinds.registry.entry(named: c.rewardKind))?.autoregressive == true:
            guard !c.tokenLevel else { throw TrainingError.invalidConfiguration("--token-level and --kind autoregressive exclude each other") }
            mode = .autoregressiveReward(GenARMLoss(beta: c.beta))
        case .reward where (try? RewardModelKinds.registry.entry(named: c.rewardKind))?.multifurcation == true:
            guard !c.tokenLevel else { throw TrainingError.invalidConfiguration("--token-level and --kind multifurcation exclude each other") }
            guard rewardModel == nil else {
                throw TrainingError.invalidConfiguration("\(c.model) is a reward-model folder (score.weight); a multifurcation reward model starts from a language model")
            }
            mode = .multifurcationReward(MultifurcationRewardLoss(), seenTokens: MultifurcationSeen.tokens(train))
        case .reward where (try? RewardModelKinds.registry.entry(named: c.rewardKind))?.segmented == true:
            guard !c.tokenLevel else { throw TrainingError.invalidConfiguration("--token-level and --kind segment exclude each other") }
            // The entropies come from the frozen starting model: --ref when given, else the model
            // itself before any step (a reward-model folder has no LM head, so it needs --ref).
            let entropyModel: any LanguageModel
            if let r = c.ref {
                entropyModel = try PretrainedModel.load(path: r, weights: c.refWeights).model
            } else if rewardModel == nil {
                entropyModel = pretrained.model
            } else {
                throw TrainingError.invalidConfiguration("\(c.model) is a reward-model folder (no LM head): --kind segment needs --ref, the language model whose next-token entropies cut the segments")
            }
            guard entropyModel.vocabularySize == pretrained.model.vocabularySize else {
                throw TrainingError.modelMismatch("--ref vocabulary \(entropyModel.vocabularySize) ≠ model vocabulary \(pretrained.model.vocabularySize)")
            }
            let padID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
            let threshold = c.segmentEntropyThreshold ?? TrainingConfiguration.defaultSegmentEntropyThreshold
            let segments = SegmentEnds(model: entropyModel, train: train, eval: eval, threshold: threshold, padID: padID, batchSize: c.batchSize)
            mode = .segmentReward(head: rewardModel?.head ?? RewardHead(hiddenSize: pretrained.model.hiddenSize, seed: c.seed), segments: segments)
        case .reward where (try? RewardModelKinds.registry.entry(named: c.rewardKind))?.critiqueOutLoud == true:
            // CLoud: stage 1 (SFT on the oracle critiques) and the self-critiques run here; the
            // trainer is stage 2 on the self-critiqued pairs (CritiqueOutLoudSetup).
            let r = try CritiqueOutLoudSetup.prepare(c, pretrained: pretrained, tokenizer: tokenizer, head: rewardModel?.head,
                                                     padID: tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0)
            mode = r.mode
            train = r.train
            eval = r.eval
        case .reward where (try? RewardModelKinds.registry.entry(named: c.rewardKind))?.sharedTrunk == true:
            let r = try SharedTrunkSetup.make(c, head: rewardModel?.head, model: pretrained.model)
            mode = .sharedTrunkReward(r)
            if r.needsReference {
                // HaF's DPO term compares with the frozen starting model: --ref, else the model itself
                // (a reward-model folder has a trained LM head only if it came from haf / grm).
                reference = try c.ref.map { try PretrainedModel.load(path: $0, weights: c.refWeights).model }
                    ?? RewardModelLoader.load(folder: URL(fileURLWithPath: c.model), weights: c.refWeights)?.model
                    ?? PretrainedModel.load(path: c.model, weights: c.refWeights).model
                if let ref = reference, ref.vocabularySize != pretrained.model.vocabularySize {
                    throw TrainingError.modelMismatch("--ref vocabulary \(ref.vocabularySize) ≠ model vocabulary \(pretrained.model.vocabularySize)")
                }
            }
        case .reward:
            let kind = try RewardModelKinds.registry.entry(named: c.rewardKind)
            if let spec = kind.tokenKind {
                try spec.check(train, kind: kind.card.name)
                if let eval { try spec.check(eval, kind: kind.card.name) }
            }
            if kind.freezeTrunk { pretrained.model.freeze() }
            mode = .reward(head: rewardModel?.head ?? RewardHead(hiddenSize: pretrained.model.hiddenSize, seed: c.seed),
                           tokenLevel: c.tokenLevel || kind.tokenLevel)
        case .preference where isKTO:
            let settings = ObjectiveSettings(beta: c.beta, alpha: c.alpha, labelSmoothing: c.labelSmoothing)
            guard let kto = try unpairedEntry.map({ try $0.make(settings) }) as? KTO else {
                throw TrainingError.invalidConfiguration("\(c.loss[0]) is registered for unpaired rows but does not build a KTO objective")
            }
            mode = .unpaired(kto)
            reference = try PretrainedModel.load(path: c.ref ?? c.model, weights: c.refWeights).model
        case .preference:
            var method = try PreferenceMethod.make(losses: c.loss, weights: c.lossWeights, beta: c.beta, alpha: c.alpha,
                                                   labelSmoothing: c.labelSmoothing)
            if let p = method.contrastivePrefixes {
                method.contrastivePrefixIDs = (tokenizer.encode(p.better), tokenizer.encode(p.worse))
            }
            mode = .preference(method)
            reference = try PretrainedModel.load(path: c.ref ?? c.model, weights: c.refWeights).model
            guides = try c.guide.map { try PretrainedModel.load(path: $0, weights: c.refWeights).model }
            for g in guides + [reference!] where g.vocabularySize != pretrained.model.vocabularySize {
                throw TrainingError.modelMismatch("reference/guide vocabulary \(g.vocabularySize) ≠ policy vocabulary \(pretrained.model.vocabularySize)")
            }
        }
        var unlabelled: [PreferenceExample]?
        if let path = c.selfTrain {
            unlabelled = try SelfTrainingSetup.load(path, configuration: c, mode: mode, encoder: encoder, policy: policy, reports: &reports)
        } else if c.selfTrainRounds != nil || c.confidenceThreshold != nil {
            throw TrainingError.invalidConfiguration("--self-train-rounds and --confidence-threshold need --self-train FILE (the unlabelled pairs to pseudo-label)")
        }
        let padID = tokenizer.padTokenID ?? tokenizer.eosTokenID ?? 0
        let out = c.out.isEmpty ? nil : URL(fileURLWithPath: c.out)
        let trainer = try Trainer(configuration: c, policy: pretrained.model, reference: reference, guides: guides, mode: mode,
                                  train: train, eval: eval, padID: padID, outputDirectory: out)
        let peer = try c.coFilterRate.map { _ in try CoTeachingSetup.peer(configuration: c, mode: mode, train: train, eval: eval, padID: padID) }
        return PreparedRun(trainer: trainer, tokenizer: tokenizer, pretrained: pretrained, reports: reports, unlabelled: unlabelled, peer: peer)
    }
}

// The training runs a demo makes of one of its models from a start model. `demoRun`: the demo's
// budget, no warm-up, a cosine schedule and the demos' 128 positions (the tiny Llamas of the RM
// demo's reward models and the models `demo rl` trains itself). `demoLoRARun`: LoRA on a pretrained
// SmolLM2 at a constant rate (the sentiment demos' policies and reward models).
import Training

extension TrainingConfiguration {
    static func demoRun(_ task: TrainingTask, model: String, out: String, seed: UInt64, steps: Int, batch: Int,
                        learningRate: Float) -> TrainingConfiguration {
        var c = demoBudget(task, model: model, out: out, seed: seed, steps: steps, batch: batch, learningRate: learningRate)
        c.warmupSteps = 0
        c.schedule = "cosine"
        c.maxLength = 128
        return c
    }

    /// LoRA fine-tuning (arXiv 2106.09685) of a pretrained model: the demo's budget at a constant
    /// rate, adapters on the sentiment demos' projections (`SentimentDemoSettings.loraTargetModules`),
    /// a held-out evaluation every `evalSteps`. One constructor for the sentiment demo's policies,
    /// `demo decoding`'s guides and DPO policy and `demo rl-sentiment`'s reward models, so that their
    /// budgets stay alike; each caller sets what is its own (loss, β, reward kind, lengths).
    static func demoLoRARun(_ task: TrainingTask, model: String, data: String, out: String, seed: UInt64, steps: Int, batch: Int,
                            learningRate: Float, loraRank: Int, loraAlpha: Float, evalSteps: Int) -> TrainingConfiguration {
        var c = demoBudget(task, model: model, out: out, seed: seed, steps: steps, batch: batch, learningRate: learningRate)
        c.data = data
        c.schedule = "constant"
        c.loraRank = loraRank
        c.loraAlpha = loraAlpha
        c.loraTargetModules = SentimentDemoSettings.loraTargetModules
        c.evalSteps = evalSteps
        return c
    }

    /// What every demo's training run sets: the task, the start model, the run folder, the seed and
    /// the budget (steps, batch, learning rate).
    private static func demoBudget(_ task: TrainingTask, model: String, out: String, seed: UInt64, steps: Int, batch: Int,
                                   learningRate: Float) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = task
        c.model = model
        c.out = out
        c.seed = seed
        c.maxSteps = steps
        c.batchSize = batch
        c.learningRate = learningRate
        return c
    }
}

// The training run a demo makes of one of its models from a start model: the demo's budget, no
// warm-up, a cosine schedule and the demos' 128 positions. Shared by the RM demo's reward models
// and the models `demo rl` trains itself.
import Training

extension TrainingConfiguration {
    static func demoRun(_ task: TrainingTask, model: String, out: String, seed: UInt64, steps: Int, batch: Int,
                        learningRate: Float) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.task = task
        c.model = model
        c.out = out
        c.seed = seed
        c.maxSteps = steps
        c.batchSize = batch
        c.learningRate = learningRate
        c.warmupSteps = 0
        c.schedule = "cosine"
        c.maxLength = 128
        return c
    }
}

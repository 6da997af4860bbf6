// The prompt split hashes each prompt with FNV-1a and Support's SplitMix64 finaliser; the split of a
// committed prompt set must not move. Expected value computed independently (Python): FNV-1a64("hello")
// mixed with seed 5 gives the uniform number 0.538436911…
import Rewards
import Testing

@Suite struct PromptSplitHashTests {
    @Test func helloWithSeedFiveFallsAt0_5384() {
        #expect(ShakespearePrompts.isTest("hello", testFraction: 0.5385, seed: 5))
        #expect(!ShakespearePrompts.isTest("hello", testFraction: 0.5384, seed: 5))
    }
}

//! Helpers for the unit tests.

/// A fixed pseudo-random sequence (a 64-bit linear congruential generator), so that test data
/// is the same on every run.
pub struct Lcg(u64);

impl Lcg {
    /// The sequence from `seed`.
    pub fn new(seed: u64) -> Self {
        Lcg(seed)
    }

    /// The next 31-bit number.
    pub fn next_u32(&mut self) -> u32 {
        self.step();
        (self.0 >> 33) as u32
    }

    /// The next number in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.step();
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }

    fn step(&mut self) {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1);
    }
}

//! The game's only source of randomness: a small, portable, seeded generator.
//!
//! Decks are shuffled once, when a game is created, from the seed recorded in `GameCreated`.
//! The algorithms are fixed here (not borrowed from a crate whose algorithms may change between
//! versions) so that the same seed gives the same decks on every machine and every version of the
//! server:
//!
//! - seeding: SplitMix64 expands the 64-bit seed into the 256-bit state;
//! - generation: xoshiro256** (Blackman & Vigna, 2018);
//! - bounded integers: Lemire's multiply-and-reject method, unbiased;
//! - shuffling: Fisher–Yates, from the last position down.
//!
//! A known-answer test pins every step. Changing any of them would change the decks of every
//! seed, so it must never happen silently.

/// SplitMix64: a tiny generator used to expand one seed into well-mixed state words.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting at `seed`.
    pub const fn new(seed: u64) -> SplitMix64 {
        SplitMix64 { state: seed }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// xoshiro256**, seeded through SplitMix64. Deterministic and portable; not for cryptography.
#[derive(Clone, Debug)]
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator whose whole output is determined by `seed`.
    pub fn new(seed: u64) -> Rng {
        let mut sm = SplitMix64::new(seed);
        Rng {
            s: [sm.next_u64(), sm.next_u64(), sm.next_u64(), sm.next_u64()],
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniformly distributed integer in `0..bound` (`bound` > 0), without modulo bias.
    ///
    /// Lemire's method: take the high word of `x * bound`; reject the few `x` whose low word
    /// falls below `2^64 mod bound`.
    pub fn below(&mut self, bound: u64) -> u64 {
        assert!(bound > 0, "Rng::below needs a positive bound");
        let threshold = bound.wrapping_neg() % bound;
        loop {
            let m = u128::from(self.next_u64()) * u128::from(bound);
            if (m as u64) >= threshold {
                return (m >> 64) as u64;
            }
        }
    }

    /// Shuffles `items` in place (Fisher–Yates: for i from the end, swap i with a position in 0..=i).
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix64_matches_the_reference_output_for_seed_zero() {
        let mut sm = SplitMix64::new(0);
        assert_eq!(sm.next_u64(), 0xE220_A839_7B1D_CDAF);
        assert_eq!(sm.next_u64(), 0x6E78_9E6A_A1B9_65F4);
        assert_eq!(sm.next_u64(), 0x06C4_5D18_8009_454F);
    }

    #[test]
    fn xoshiro256starstar_matches_known_answers() {
        let mut rng = Rng::new(42);
        let got: Vec<u64> = (0..4).map(|_| rng.next_u64()).collect();
        assert_eq!(got, KNOWN_42);
    }

    #[test]
    fn bounded_integers_and_shuffles_are_pinned() {
        let mut rng = Rng::new(7);
        let got: Vec<u64> = (0..8).map(|_| rng.below(6)).collect();
        assert_eq!(got, KNOWN_BELOW_7);
        let mut items: Vec<u32> = (0..10).collect();
        Rng::new(2024).shuffle(&mut items);
        assert_eq!(items, KNOWN_SHUFFLE_2024);
    }

    #[test]
    fn below_stays_in_range_and_reaches_every_value() {
        let mut rng = Rng::new(1);
        let mut seen = [0u32; 7];
        for _ in 0..7000 {
            let v = rng.below(7) as usize;
            seen[v] += 1;
        }
        assert!(seen.iter().all(|&n| n > 800), "{seen:?}");
    }

    // Computed with an independent implementation of the same algorithms.
    const KNOWN_42: [u64; 4] = [
        0x1578_0B2E_0C2E_C716,
        0x6104_D986_6D11_3A7E,
        0xAE17_5332_39E4_99A1,
        0xECB8_AD47_03B3_60A1,
    ];
    const KNOWN_BELOW_7: [u64; 8] = [4, 1, 5, 5, 5, 5, 0, 0];
    const KNOWN_SHUFFLE_2024: [u32; 10] = [2, 3, 8, 5, 6, 4, 1, 9, 7, 0];
}

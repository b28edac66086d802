//! A simulated crowd whose true labels are known, to measure what a label policy makes of
//! careless raters: careful raters (each with their own sensitivity and specificity, more
//! lenient than strict, as real crowds are), random clickers and always-👍 clickers vote on
//! responses, a few votes each. Seeded, so a figure can be run again.
//! `cargo test -p swipeset-core --lib crowd -- --nocapture` prints the comparison that
//! docs/BENCHMARKS.md quotes.

use super::{MIN_EVIDENCE, Vote, fit_votes, side};
use crate::export::policy::Policy;

/// Who votes, and how much.
#[derive(Debug, Clone, Copy)]
pub struct Crowd {
    pub responses: usize,
    /// The share of responses that are truly 👍.
    pub truly_up: f64,
    pub careful: usize,
    pub random: usize,
    pub always_up: usize,
    /// Votes per response, each count in this range equally likely.
    pub votes: (usize, usize),
    pub seed: u64,
}

impl Default for Crowd {
    /// 3,000 responses, three in four truly 👍 (a real crowd's 133 👍 to 37 👎 is 78%), 2 to
    /// 5 votes each from 30 careful raters, 10 random clickers and 5 always-👍 clickers.
    fn default() -> Self {
        Self {
            responses: 3_000,
            truly_up: 0.75,
            careful: 30,
            random: 10,
            always_up: 5,
            votes: (2, 5),
            seed: 17,
        }
    }
}

/// What a policy made of a simulated crowd's votes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Responses given a label.
    pub labelled: usize,
    /// Labels equal to the truth.
    pub correct: usize,
    /// Labels against the truth.
    pub wrong: usize,
    /// Labels given to responses whose every vote came from a random or always-👍 clicker.
    pub from_noise_alone: usize,
}

/// The crowd's votes under each policy, with the counts they share.
#[derive(Debug, Clone, Copy)]
pub struct Comparison {
    pub majority: Outcome,
    pub weighted: Outcome,
    pub votes: usize,
    /// Responses whose every vote came from a clicker.
    pub noise_only: usize,
}

/// SplitMix64: small, seeded, good enough to draw a crowd.
pub(crate) struct Draw(u64);

impl Draw {
    #[cfg(test)]
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// How one simulated rater votes.
#[derive(Debug, Clone, Copy)]
enum Rater {
    Careful { sensitivity: f64, specificity: f64 },
    Random,
    AlwaysUp,
}

impl Rater {
    fn vote(self, truth: bool, draw: &mut Draw) -> bool {
        match self {
            Rater::Careful {
                sensitivity,
                specificity,
            } => {
                if truth {
                    draw.unit() < sensitivity
                } else {
                    draw.unit() >= specificity
                }
            }
            Rater::Random => draw.unit() < 0.5,
            Rater::AlwaysUp => true,
        }
    }

    fn is_noise(self) -> bool {
        !matches!(self, Rater::Careful { .. })
    }
}

/// Draws the crowd's votes and compares `majority` and `weighted` (both at `min_votes` 2,
/// `weighted` at `threshold`) against the truth.
pub fn compare(crowd: Crowd, threshold: f64) -> Comparison {
    compare_with_floor(crowd, threshold, MIN_EVIDENCE)
}

/// As [`compare`], with `floor` in place of [`MIN_EVIDENCE`], to measure what the floor
/// buys.
pub fn compare_with_floor(crowd: Crowd, threshold: f64, floor: f64) -> Comparison {
    let mut draw = Draw(crowd.seed);
    let mut raters = Vec::new();
    for _ in 0..crowd.careful {
        raters.push(Rater::Careful {
            sensitivity: 0.75 + 0.2 * draw.unit(),
            specificity: 0.6 + 0.3 * draw.unit(),
        });
    }
    raters.extend(std::iter::repeat_n(Rater::Random, crowd.random));
    raters.extend(std::iter::repeat_n(Rater::AlwaysUp, crowd.always_up));
    let mut votes = Vec::new();
    let mut truth = Vec::with_capacity(crowd.responses);
    let mut noise_only = Vec::with_capacity(crowd.responses);
    let (low, high) = crowd.votes;
    for response in 0..crowd.responses {
        let truly_up = draw.unit() < crowd.truly_up;
        truth.push(truly_up);
        let count = (low + draw.below(high - low + 1)).min(raters.len());
        let mut chosen: Vec<usize> = Vec::with_capacity(count);
        while chosen.len() < count {
            let j = draw.below(raters.len());
            if !chosen.contains(&j) {
                chosen.push(j);
            }
        }
        noise_only.push(chosen.iter().all(|&j| raters[j].is_noise()));
        for j in chosen {
            votes.push(Vote {
                response: response as u32,
                rater: j as u32,
                up: raters[j].vote(truly_up, &mut draw),
            });
        }
    }
    let fitted = fit_votes(&votes, crowd.responses, raters.len());
    let mut counts = vec![(0u32, 0u32); crowd.responses];
    for v in &votes {
        let c = &mut counts[v.response as usize];
        if v.up {
            c.0 += 1;
        } else {
            c.1 += 1;
        }
    }
    let majority = Policy::default();
    let weighted = Policy::weighted(2, threshold).expect("a threshold in range");
    let mut outcome = (Outcome::default(), Outcome::default());
    for r in 0..crowd.responses {
        let (up, down) = counts[r];
        let side = side(fitted.evidence[r], floor);
        let labels = [
            (&mut outcome.0, majority.decide(up, down)),
            (
                &mut outcome.1,
                weighted.decide_weighted(up + down, fitted.p_up[r], side),
            ),
        ];
        for (tally, label) in labels {
            let Ok(label) = label else { continue };
            tally.labelled += 1;
            if label == truth[r] {
                tally.correct += 1;
            } else {
                tally.wrong += 1;
            }
            if noise_only[r] {
                tally.from_noise_alone += 1;
            }
        }
    }
    Comparison {
        majority: outcome.0,
        weighted: outcome.1,
        votes: votes.len(),
        noise_only: noise_only.iter().filter(|n| **n).count(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(policy: &str, o: Outcome) -> String {
        format!(
            "| {policy} | {} | {} | {} | {:.1}% | {} |",
            o.labelled,
            o.correct,
            o.wrong,
            100.0 * o.correct as f64 / o.labelled.max(1) as f64,
            o.from_noise_alone
        )
    }

    /// Prints the table docs/BENCHMARKS.md quotes, and holds weighted to it.
    #[test]
    fn weighted_recovers_more_true_labels_and_fewer_from_noise_than_majority() {
        for seed in [17, 18, 19] {
            let crowd = Crowd {
                seed,
                ..Crowd::default()
            };
            let at = |t| compare(crowd, t);
            let default = at(0.8);
            println!(
                "seed {seed}: {} responses, {} votes, {} voted on by clickers only",
                crowd.responses, default.votes, default.noise_only
            );
            println!("| policy | labelled | right | wrong | right share | from clickers alone |");
            println!("{}", line("majority", default.majority));
            for t in [0.51, 0.6, 0.7, 0.8, 0.9] {
                println!("{}", line(&format!("weighted {t}"), at(t).weighted));
            }
            let (m, w) = (default.majority, default.weighted);
            // At the default threshold: a label is right more often, with under half the
            // wrong labels and under a third as many from clickers alone.
            assert!(
                w.correct * m.labelled > m.correct * w.labelled,
                "seed {seed}: {default:?}"
            );
            assert!(w.wrong * 2 < m.wrong, "seed {seed}: {default:?}");
            assert!(
                w.from_noise_alone * 3 < m.from_noise_alone,
                "seed {seed}: {default:?}"
            );
            // Deciding as often as it can (a threshold just past one half), it recovers
            // more true labels than majority as well as fewer false ones.
            let (m, w) = (at(0.51).majority, at(0.51).weighted);
            assert!(w.correct > m.correct, "seed {seed}: {w:?} vs {m:?}");
            assert!(w.wrong < m.wrong, "seed {seed}: {w:?} vs {m:?}");
        }
    }

    #[test]
    fn the_evidence_floor_keeps_clickers_from_labelling() {
        let without = compare_with_floor(Crowd::default(), 0.7, 0.0);
        let with = compare(Crowd::default(), 0.7);
        println!(
            "floor 0: {:?}\nfloor ln 1.5: {:?}",
            without.weighted, with.weighted
        );
        assert!(with.weighted.from_noise_alone * 10 < without.weighted.from_noise_alone);
    }

    #[test]
    fn with_no_clickers_weighted_gives_up_little() {
        let c = compare(
            Crowd {
                random: 0,
                always_up: 0,
                ..Crowd::default()
            },
            0.8,
        );
        println!("careful raters only: {:?}", c);
        assert_eq!(c.noise_only, 0);
        assert!(c.weighted.wrong <= c.majority.wrong, "{c:?}");
    }
}

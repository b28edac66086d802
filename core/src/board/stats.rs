//! The statistics behind the leaderboard, as plain functions over counts: the Wilson
//! interval of a 👍 rate, the rank rule, and Krippendorff's α (nominal) with a bootstrap
//! interval. Nothing here touches the database; `crate::board::leaderboard` feeds it aggregates.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Binomial, Distribution};
use swipeset_wire::{Agreement, Interval};

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// The Wilson score interval of `successes` out of `trials` at `z`. Unlike the textbook
/// p ± z·se it stays inside [0, 1] and behaves at 0 and at n, which matters for a model
/// with a handful of votes. `None` without trials.
pub fn wilson(successes: u64, trials: u64, z: f64) -> Option<Interval> {
    if trials == 0 || successes > trials {
        return None;
    }
    let n = trials as f64;
    let p = successes as f64 / n;
    let z2 = z * z;
    let denominator = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / denominator;
    Some(Interval {
        estimate: p,
        low: (centre - half).max(0.0),
        high: (centre + half).min(1.0),
    })
}

/// Ranks by intervals: 1 + the number of others whose lower bound is above this one's
/// upper bound. Models whose intervals overlap share a rank, so a rank never claims more
/// than the votes support. Returned in the order given.
pub fn ranks(intervals: &[Interval]) -> Vec<usize> {
    intervals
        .iter()
        .map(|me| 1 + intervals.iter().filter(|other| other.low > me.high).count())
        .collect()
}

/// Krippendorff's α for nominal data.
///
/// `units` lists, per unit (a response), how many ratings it got in each category, and
/// how many units share that exact pattern (the leaderboard keeps 👍/👎 patterns as
/// aggregates, so a campaign of 100,000 responses is a handful of rows). Units with fewer
/// than two ratings carry no information about agreement and are left out. `None` when
/// there is nothing to compare or no variation at all (α is undefined then).
pub fn krippendorff_nominal(units: &[(Vec<u64>, u64)]) -> Option<f64> {
    let categories = units.iter().map(|(counts, _)| counts.len()).max()?;
    // The coincidence matrix, kept only as what α needs: its diagonal and margins.
    let mut agreeing = 0.0; // Σ_c o_cc
    let mut margins = vec![0.0; categories]; // n_c
    for (counts, multiplicity) in units {
        let m: u64 = counts.iter().sum();
        if m < 2 || *multiplicity == 0 {
            continue;
        }
        let weight = *multiplicity as f64 / (m - 1) as f64;
        for (c, &n_c) in counts.iter().enumerate() {
            let n_c = n_c as f64;
            agreeing += weight * n_c * (n_c - 1.0);
            margins[c] += *multiplicity as f64 * n_c;
        }
    }
    let n: f64 = margins.iter().sum();
    if n < 2.0 {
        return None;
    }
    let observed_disagreement = n - agreeing;
    let expected_disagreement = (n * n - margins.iter().map(|m| m * m).sum::<f64>()) / (n - 1.0);
    if expected_disagreement <= 0.0 {
        return None;
    }
    Some(1.0 - observed_disagreement / expected_disagreement)
}

/// α with a bootstrap interval (percentile method): the units are resampled with
/// replacement `replicates` times. Seeded, so the same counts always show the same
/// interval and the page does not flicker between refreshes.
pub fn agreement(units: &[(Vec<u64>, u64)], replicates: usize, seed: u64) -> Option<Agreement> {
    let alpha = krippendorff_nominal(units)?;
    let informative: Vec<&(Vec<u64>, u64)> = units
        .iter()
        .filter(|(counts, k)| counts.iter().sum::<u64>() >= 2 && *k > 0)
        .collect();
    let total: u64 = informative.iter().map(|(_, k)| k).sum();
    let weights: Vec<u64> = informative.iter().map(|(_, k)| *k).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut estimates = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let drawn = resample(&weights, &mut rng);
        let sample: Vec<(Vec<u64>, u64)> = informative
            .iter()
            .zip(drawn)
            .map(|((counts, _), k)| (counts.clone(), k))
            .collect();
        if let Some(a) = krippendorff_nominal(&sample) {
            estimates.push(a);
        }
    }
    if estimates.is_empty() {
        return Some(Agreement {
            alpha,
            low: alpha,
            high: alpha,
            units: total,
        });
    }
    let (low, high) = percentiles(&mut estimates);
    Some(Agreement {
        alpha,
        low,
        high,
        units: total,
    })
}

/// One bootstrap draw: as many units as `weights` hold, with replacement, as how many of
/// each kind were drawn. A multinomial draw split into binomials, so it costs one draw per
/// kind, not one per unit.
fn resample(weights: &[u64], rng: &mut StdRng) -> Vec<u64> {
    let total: u64 = weights.iter().sum();
    let (mut left, mut mass_left) = (total, total as f64);
    weights
        .iter()
        .map(|k| {
            let p = (*k as f64 / mass_left).clamp(0.0, 1.0);
            let drawn = if left == 0 {
                0
            } else {
                Binomial::new(left, p).map_or(left, |b| b.sample(rng))
            };
            left -= drawn;
            mass_left -= *k as f64;
            drawn
        })
        .collect()
}

/// The 2.5th and 97.5th percentiles of `estimates` (not empty), which it sorts.
fn percentiles(estimates: &mut [f64]) -> (f64, f64) {
    estimates.sort_by(f64::total_cmp);
    let at = |q: f64| estimates[((estimates.len() - 1) as f64 * q).round() as usize];
    (at(0.025), at(0.975))
}

/// The 👍 rate's 95% interval when votes come in clusters (a prompt's votes are alike more
/// often than chance: an easy prompt gets 👍 on every model): a bootstrap that resamples
/// whole prompts, percentile method. `clusters` lists each pattern of (👍, 👎) votes on one
/// prompt and how many prompts have it, so a replicate costs one binomial draw per pattern,
/// as in `agreement`. Seeded: the same counts always give the same interval. `None`
/// without votes.
pub fn cluster_rate(
    clusters: &[((u64, u64), u64)],
    replicates: usize,
    seed: u64,
) -> Option<Interval> {
    let (up, votes) = clusters
        .iter()
        .fold((0u64, 0u64), |(u, v), ((up, down), k)| {
            (u + up * k, v + (up + down) * k)
        });
    if votes == 0 {
        return None;
    }
    let weights: Vec<u64> = clusters.iter().map(|(_, k)| *k).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let mut estimates = Vec::with_capacity(replicates);
    for _ in 0..replicates {
        let drawn = resample(&weights, &mut rng);
        let (mut sample_up, mut sample_votes) = (0u64, 0u64);
        for (((up, down), _), k) in clusters.iter().zip(drawn) {
            sample_up += up * k;
            sample_votes += (up + down) * k;
        }
        if sample_votes > 0 {
            estimates.push(sample_up as f64 / sample_votes as f64);
        }
    }
    let estimate = up as f64 / votes as f64;
    if estimates.is_empty() {
        return Some(Interval {
            estimate,
            low: estimate,
            high: estimate,
        });
    }
    let (low, high) = percentiles(&mut estimates);
    Some(Interval {
        estimate,
        low,
        high,
    })
}

/// Bradley–Terry strengths of `n` players from `games`: (i, j, wins of i over j, wins of j
/// over i), a tie counted as half a win each. Fitted by Hunter's (2004) MM iterations, with
/// one virtual tie added to every pair that played, so a player who never won (or never
/// lost) still gets a finite strength. Scaled to a geometric mean of 1 over the players who
/// played; `None` for those who did not.
pub fn bradley_terry(n: usize, games: &[(usize, usize, f64, f64)]) -> Vec<Option<f64>> {
    let mut wins = vec![0.0; n];
    let mut played = vec![false; n];
    // Games between each pair, both directions, with the virtual tie.
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    for &(i, j, wi, wj) in games {
        if i >= n || j >= n || i == j || wi + wj <= 0.0 {
            continue;
        }
        wins[i] += wi + 0.5;
        wins[j] += wj + 0.5;
        played[i] = true;
        played[j] = true;
        pairs.push((i, j, wi + wj + 1.0));
    }
    let mut strength = vec![1.0f64; n];
    for _ in 0..500 {
        let mut denominator = vec![0.0f64; n];
        for &(i, j, games) in &pairs {
            let d = games / (strength[i] + strength[j]);
            denominator[i] += d;
            denominator[j] += d;
        }
        let mut next: Vec<f64> = (0..n)
            .map(|i| {
                if played[i] && denominator[i] > 0.0 {
                    wins[i] / denominator[i]
                } else {
                    1.0
                }
            })
            .collect();
        let logs: Vec<f64> = (0..n)
            .filter(|&i| played[i])
            .map(|i| next[i].ln())
            .collect();
        if !logs.is_empty() {
            let scale = (logs.iter().sum::<f64>() / logs.len() as f64).exp();
            for x in next.iter_mut() {
                *x /= scale;
            }
        }
        let change = next
            .iter()
            .zip(&strength)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        strength = next;
        if change < 1e-9 {
            break;
        }
    }
    (0..n).map(|i| played[i].then_some(strength[i])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tolerance: f64) -> bool {
        (a - b).abs() <= tolerance
    }

    #[test]
    fn wilson_matches_reference_values() {
        // Reference values: Wilson (1927) as tabulated by Newcombe (1998), Table I, and
        // statsmodels' proportion_confint(method="wilson").
        let cases = [
            (5, 10, 0.2366, 0.7634),
            (81, 263, 0.2553, 0.3662),
            (15, 148, 0.0624, 0.1605),
            (0, 20, 0.0, 0.1611),
            (1, 29, 0.0061, 0.1718),
            (20, 20, 0.8389, 1.0),
        ];
        for (k, n, low, high) in cases {
            let i = wilson(k, n, Z95).unwrap();
            assert!(close(i.low, low, 5e-4), "{k}/{n}: low {} vs {low}", i.low);
            assert!(
                close(i.high, high, 5e-4),
                "{k}/{n}: high {} vs {high}",
                i.high
            );
            assert!(close(i.estimate, k as f64 / n as f64, 1e-12));
        }
        assert_eq!(wilson(0, 0, Z95), None);
        assert_eq!(wilson(3, 2, Z95), None);
    }

    fn iv(low: f64, high: f64) -> Interval {
        Interval {
            estimate: (low + high) / 2.0,
            low,
            high,
        }
    }

    #[test]
    fn overlapping_intervals_share_a_rank() {
        // A is clearly best; B and C overlap each other; D is below B only.
        let a = iv(0.80, 0.90);
        let b = iv(0.50, 0.70);
        let c = iv(0.40, 0.55);
        let d = iv(0.20, 0.45);
        assert_eq!(ranks(&[a, b, c, d]), vec![1, 2, 2, 3]);
        // Identical intervals tie; touching bounds (low == high) do not separate.
        assert_eq!(ranks(&[b, b]), vec![1, 1]);
        assert_eq!(ranks(&[iv(0.5, 0.6), iv(0.6, 0.7)]), vec![1, 1]);
        assert_eq!(ranks(&[]), Vec::<usize>::new());
    }

    /// Turns rows of observers × units (None = missing) into per-unit category counts.
    fn units_from(table: &[&[Option<usize>]], categories: usize) -> Vec<(Vec<u64>, u64)> {
        let units = table[0].len();
        (0..units)
            .map(|u| {
                let mut counts = vec![0; categories];
                for row in table {
                    if let Some(v) = row[u] {
                        counts[v] += 1;
                    }
                }
                (counts, 1)
            })
            .collect()
    }

    #[test]
    fn alpha_matches_krippendorffs_worked_examples() {
        // Krippendorff, "Computing Krippendorff's Alpha-Reliability" (2011), example A:
        // two observers, ten units, binary values, no missing data: α = 0.095.
        let a = [0, 1, 0, 0, 0, 0, 0, 0, 1, 0].map(Some);
        let b = [1, 1, 1, 0, 0, 1, 0, 0, 0, 0].map(Some);
        let alpha = krippendorff_nominal(&units_from(&[&a, &b], 2)).unwrap();
        assert!(close(alpha, 0.095, 5e-4), "binary example: {alpha}");

        // Example C: four observers, twelve units, values 1-5, missing data; nominal
        // α = 0.743.
        let n = None;
        let s = |v: usize| Some(v - 1);
        let obs_a = [
            s(1),
            s(2),
            s(3),
            s(3),
            s(2),
            s(1),
            s(4),
            s(1),
            s(2),
            n,
            n,
            n,
        ];
        let obs_b = [
            s(1),
            s(2),
            s(3),
            s(3),
            s(2),
            s(2),
            s(4),
            s(1),
            s(2),
            s(5),
            n,
            s(3),
        ];
        let obs_c = [
            n,
            s(3),
            s(3),
            s(3),
            s(2),
            s(3),
            s(4),
            s(2),
            s(2),
            s(5),
            s(1),
            n,
        ];
        let obs_d = [
            s(1),
            s(2),
            s(3),
            s(3),
            s(2),
            s(4),
            s(4),
            s(1),
            s(2),
            s(5),
            s(1),
            n,
        ];
        let alpha =
            krippendorff_nominal(&units_from(&[&obs_a, &obs_b, &obs_c, &obs_d], 5)).unwrap();
        assert!(close(alpha, 0.743, 5e-4), "nominal example: {alpha}");
    }

    #[test]
    fn alpha_is_one_for_perfect_agreement_and_undefined_without_variation() {
        let perfect = vec![(vec![3, 0], 4), (vec![0, 2], 5)];
        assert!(close(krippendorff_nominal(&perfect).unwrap(), 1.0, 1e-12));
        assert_eq!(krippendorff_nominal(&[(vec![2, 0], 7)]), None);
        assert_eq!(
            krippendorff_nominal(&[(vec![1, 0], 7)]),
            None,
            "single ratings"
        );
        assert_eq!(krippendorff_nominal(&[]), None);
    }

    #[test]
    fn patterns_with_multiplicity_equal_the_units_spelled_out() {
        let grouped = vec![(vec![2, 0], 3), (vec![1, 1], 2), (vec![0, 3], 1)];
        let mut spelled = Vec::new();
        for (counts, k) in &grouped {
            for _ in 0..*k {
                spelled.push((counts.clone(), 1));
            }
        }
        let (a, b) = (
            krippendorff_nominal(&grouped).unwrap(),
            krippendorff_nominal(&spelled).unwrap(),
        );
        assert!(close(a, b, 1e-12), "{a} vs {b}");
    }

    #[test]
    fn the_bootstrap_interval_brackets_alpha_and_is_reproducible() {
        let units = vec![(vec![2, 0], 40), (vec![0, 2], 35), (vec![1, 1], 25)];
        let first = agreement(&units, 1_000, 7).unwrap();
        assert_eq!(first, agreement(&units, 1_000, 7).unwrap(), "seeded");
        assert!(
            first.low <= first.alpha && first.alpha <= first.high,
            "{first:?}"
        );
        assert!(
            first.high - first.low > 0.05,
            "an interval, not a point: {first:?}"
        );
        assert_eq!(first.units, 100);
    }

    #[test]
    fn a_cluster_bootstrap_is_wider_when_prompts_decide_the_votes() {
        // 100 prompts, 10 votes each, 500 👍 in all: every prompt all 👍 or all 👎 (the
        // prompt decides), or every prompt 5–5 (it does not).
        let decided = [((10, 0), 50), ((0, 10), 50)];
        let mixed = [((5, 5), 100)];
        let wide = cluster_rate(&decided, 2_000, 1).unwrap();
        let narrow = cluster_rate(&mixed, 2_000, 1).unwrap();
        assert!(close(wide.estimate, 0.5, 1e-12) && close(narrow.estimate, 0.5, 1e-12));
        // All alike within a prompt: 100 independent units, not 1,000: about ±0.098.
        assert!(close(wide.high - wide.low, 2.0 * 0.098, 0.03), "{wide:?}");
        // No variation between prompts: nothing to resample.
        assert_eq!((narrow.low, narrow.high), (0.5, 0.5));
        // Wilson treats the 1,000 votes as independent: about ±0.031.
        let wilson = wilson(500, 1_000, Z95).unwrap();
        assert!(wide.high - wide.low > 2.5 * (wilson.high - wilson.low));
        assert_eq!(cluster_rate(&[((0, 0), 3)], 10, 1), None);
        assert_eq!(
            cluster_rate(&decided, 500, 9),
            cluster_rate(&decided, 500, 9)
        );
    }

    #[test]
    fn bradley_terry_orders_by_wins_and_stays_finite() {
        // 0 beats 1 three times in four, 1 beats 2 likewise, 3 never played.
        let s = bradley_terry(4, &[(0, 1, 30.0, 10.0), (1, 2, 30.0, 10.0)]);
        let (a, b, c) = (s[0].unwrap(), s[1].unwrap(), s[2].unwrap());
        assert!(a > b && b > c, "{s:?}");
        // 3:1 wins (and the virtual tie): a ratio close to 3.
        assert!(close(a / b, 3.0, 0.2), "{s:?}");
        assert_eq!(s[3], None);
        assert!(close((a * b * c).ln(), 0.0, 1e-6), "geometric mean 1");
        // A player who never won is still finite and last.
        let s = bradley_terry(2, &[(0, 1, 5.0, 0.0)]);
        assert!(s[1].unwrap() > 0.0 && s[0].unwrap() > s[1].unwrap());
    }
}

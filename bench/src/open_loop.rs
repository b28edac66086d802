//! `swipeset-bench --open-loop 500,1000,2000`: ratings arriving at a set rate whatever the
//! server does, as a crowd does, rather than annotators who wait for each answer.
//!
//! Ratings arrive as a Poisson process at each offered rate, from a pool of simulated raters
//! (each with its own cookie, holding the card it was dealt, one request at a time, as the
//! browser sends them). Each rating asks for the next card in the same request (`deal: 1`),
//! as the browser does. Latency runs from the *scheduled* send time, so a stalled server
//! shows even when the load generator stalls with it. New raters keep arriving (their own
//! Poisson stream); the latency of their first request, which makes their guest identity,
//! is reported apart.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Mutex;

use crate::replicas::Balancer;
use crate::{deal_one, post, rating_body};

pub struct OpenLoopArgs {
    /// Offered ratings per second, one phase each.
    pub rates: Vec<u64>,
    /// Seconds per phase.
    pub seconds: u64,
    /// Raters who have rated before, ready when a phase starts.
    pub raters: usize,
    /// New raters arriving per second during each phase.
    pub newcomers: f64,
    /// `/healthz` requests per second on this machine, for the share.
    pub healthz_per_second: f64,
}

/// A rater: a browser with its cookie and the card it holds.
struct Rater {
    client: reqwest::Client,
    card: Option<i64>,
}

impl Rater {
    fn new() -> anyhow::Result<Self> {
        Ok(Self {
            client: crate::rater_client(),
            card: None,
        })
    }
}

/// What one phase measured.
#[derive(Default)]
struct Phase {
    /// Milliseconds from scheduled send to answer, for ratings.
    ratings_ms: Vec<f64>,
    /// The same for newcomers' first request.
    first_ms: Vec<f64>,
    errors: BTreeMap<String, u64>,
    /// Arrivals that found every rater busy (served by a newcomer instead).
    pool_empty: u64,
}

impl Phase {
    fn failed(&mut self, reason: String) {
        *self.errors.entry(reason).or_default() += 1;
    }
}

/// Exponential inter-arrival times from a fixed seed, so runs are comparable. Written out
/// rather than taken from `rand`: adding it to this workspace member would change the
/// features `cargo test --workspace` compiles shared crates with (docs/BENCHMARKS.md,
/// "Sharing").
struct Arrivals(u64);

impl Arrivals {
    /// Seconds to the next arrival of a process at `rate` per second.
    fn next_gap(&mut self, rate: f64) -> f64 {
        // splitmix64
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        // Uniform in (0, 1], then the exponential's inverse.
        let u = ((z >> 11) as f64 + 1.0) / (1u64 << 53) as f64;
        -u.ln() / rate
    }
}

/// The `p`th percentile (0–100) of `sorted`, NaN when it is empty.
pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((p / 100.0) * (sorted.len() - 1) as f64).round() as usize]
}

pub async fn run(servers: Arc<Balancer>, args: OpenLoopArgs) -> anyhow::Result<()> {
    println!(
        "open loop: {} raters ready, {} new raters/s, {} s per offered rate, {} server(s) in turn",
        args.raters,
        args.newcomers,
        args.seconds,
        servers.len()
    );
    // Raters take turns, oldest idle first, as a crowd's raters each rate now and then:
    // the most recently idle first would have a few identities do nearly every rating, at
    // a pace the per-rater request limits refuse.
    let idle = Arc::new(Mutex::new(std::collections::VecDeque::new()));
    // The pool: raters who have been dealt a card (their identity exists).
    for _ in 0..args.raters {
        let mut rater = Rater::new()?;
        rater.card = Some(
            deal_one(&rater.client, servers.next())
                .await
                .map_err(|e| anyhow::anyhow!("preparing the raters: {e}"))?,
        );
        idle.lock().await.push_back(rater);
    }

    println!(
        "{:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}   newcomers' first request",
        "offered", "achieved", "p50 ms", "p95 ms", "p99 ms", "max ms", "errors"
    );
    let mut capacity = None;
    let mut failed = false;
    let mut arrivals = Arrivals(0x5EED);
    for &rate in &args.rates {
        let phase = phase(&servers, rate, &args, idle.clone(), &mut arrivals).await;
        let mut ratings = phase.ratings_ms;
        ratings.sort_by(f64::total_cmp);
        let mut first = phase.first_ms;
        first.sort_by(f64::total_cmp);
        let errors: u64 = phase.errors.values().sum();
        let p99 = percentile(&ratings, 99.0);
        println!(
            "{rate:>8} {:>9.0} {:>8.1} {:>8.1} {:>8.1} {:>8.1} {errors:>7}   n={} p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms{}",
            ratings.len() as f64 / args.seconds as f64,
            percentile(&ratings, 50.0),
            percentile(&ratings, 95.0),
            p99,
            ratings.last().copied().unwrap_or(f64::NAN),
            first.len(),
            percentile(&first, 50.0),
            percentile(&first, 99.0),
            first.last().copied().unwrap_or(f64::NAN),
            if phase.pool_empty > 0 {
                format!(" ({} arrivals found every rater busy)", phase.pool_empty)
            } else {
                String::new()
            }
        );
        for (reason, n) in &phase.errors {
            println!("          {n} failed: {reason}");
        }
        // The highest rate before the first that fails: a noisy pass above a failure is
        // not capacity.
        if p99 <= 100.0 && errors == 0 {
            if !failed {
                capacity = Some(rate);
            }
        } else {
            failed = true;
        }
    }
    match capacity {
        Some(rate) => println!(
            "capacity (highest offered rate with p99 <= 100 ms and no errors, every lower one too): {rate} ratings/s, {:.0}% of healthz ({:.0} requests/s)",
            100.0 * rate as f64 / args.healthz_per_second,
            args.healthz_per_second
        ),
        None => println!("capacity: no offered rate kept p99 <= 100 ms without errors"),
    }
    Ok(())
}

/// One offered rate for `args.seconds`: schedules every arrival up front, in time order,
/// and sends each at its time from whichever rater is free.
async fn phase(
    servers: &Arc<Balancer>,
    rate: u64,
    args: &OpenLoopArgs,
    idle: Arc<Mutex<std::collections::VecDeque<Rater>>>,
    arrivals: &mut Arrivals,
) -> Phase {
    let results = Arc::new(Mutex::new(Phase::default()));
    let length = args.seconds as f64;
    // (seconds from start, is a newcomer)
    let mut schedule = Vec::new();
    let mut t = 0.0;
    loop {
        t += arrivals.next_gap(rate as f64);
        if t >= length {
            break;
        }
        schedule.push((t, false));
    }
    if args.newcomers > 0.0 {
        let mut t = 0.0;
        loop {
            t += arrivals.next_gap(args.newcomers);
            if t >= length {
                break;
            }
            schedule.push((t, true));
        }
    }
    schedule.sort_by(|a, b| a.0.total_cmp(&b.0));

    let start = tokio::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (at, newcomer) in schedule {
        let due = start + Duration::from_secs_f64(at);
        tokio::time::sleep_until(due).await;
        let base = servers.next().to_string();
        let idle = idle.clone();
        let results = results.clone();
        tasks.spawn(async move {
            let taken = if newcomer {
                None
            } else {
                idle.lock().await.pop_front()
            };
            let outcome = match taken {
                Some(rater) => rate_one(&base, rater, due, &results).await,
                None => {
                    if !newcomer {
                        results.lock().await.pool_empty += 1;
                    }
                    arrive(&base, due, &results).await
                }
            };
            if let Some(rater) = outcome {
                idle.lock().await.push_back(rater);
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    Arc::try_unwrap(results)
        .map(Mutex::into_inner)
        .unwrap_or_default()
}

/// A rater rates the card it holds and is dealt the next in the same request.
async fn rate_one(
    base: &str,
    mut rater: Rater,
    due: tokio::time::Instant,
    results: &Mutex<Phase>,
) -> Option<Rater> {
    let card = match rater.card.take() {
        Some(card) => card,
        None => match deal_one(&rater.client, base).await {
            Ok(card) => card,
            Err(reason) => {
                results.lock().await.failed(reason);
                return Some(rater);
            }
        },
    };
    match post(
        &rater.client,
        &format!("{base}/api/rate"),
        rating_body(card, 1),
    )
    .await
    {
        Ok(reply) => {
            let took = due.elapsed().as_secs_f64() * 1000.0;
            results.lock().await.ratings_ms.push(took);
            rater.card = reply["cards"][0]["response_id"].as_i64();
            Some(rater)
        }
        Err(reason) => {
            results.lock().await.failed(format!("rate: {reason}"));
            Some(rater)
        }
    }
}

/// A new rater's first request: dealt a card, which makes their guest identity. They join
/// the pool after it.
async fn arrive(base: &str, due: tokio::time::Instant, results: &Mutex<Phase>) -> Option<Rater> {
    let mut rater = Rater::new().ok()?;
    match deal_one(&rater.client, base).await {
        Ok(card) => {
            let took = due.elapsed().as_secs_f64() * 1000.0;
            results.lock().await.first_ms.push(took);
            rater.card = Some(card);
            Some(rater)
        }
        Err(reason) => {
            results
                .lock()
                .await
                .failed(format!("first request: {reason}"));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_average_the_offered_rate() {
        let mut arrivals = Arrivals(1);
        let n = 200_000;
        let total: f64 = (0..n).map(|_| arrivals.next_gap(500.0)).sum();
        let mean = total / n as f64;
        assert!((mean - 1.0 / 500.0).abs() < 0.00002, "{mean}");
    }

    #[test]
    fn percentiles_pick_from_the_sorted_list() {
        let sorted: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sorted, 50.0), 51.0);
        assert_eq!(percentile(&sorted, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}

//! `swipeset-bench --soak MINUTES`: a long run at a steady load, to see that the server's
//! memory and open files stay flat.
//!
//! For the whole run: `--rate` ratings per second from as many raters (at least 32, each
//! at about a rating a second, a person's pace, within the per-rater request limits), each
//! of whom becomes a new guest every 200 ratings (so identities keep arriving), and
//! `--clients` live leaderboard watchers, a tenth of whom drop their stream and reconnect
//! every ten seconds (so streams and their slots keep coming and going). Every `--sample`
//! seconds it prints the server's resident memory (`VmRSS`), its open file descriptors,
//! the ratings acknowledged and the errors; at the end, the growth of memory and
//! descriptors from the end of the first fifth of the run (warm caches) to the end.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;

pub struct SoakArgs {
    pub minutes: u64,
    pub clients: usize,
    pub rate: u64,
    pub sample_seconds: u64,
    pub pid: u32,
}

/// Ratings per identity before a rater becomes a new guest.
const RATINGS_PER_GUEST: u64 = 200;
const RATERS: usize = 32;

#[derive(Default)]
struct Counters {
    acknowledged: AtomicU64,
    errors: AtomicU64,
    reconnects: AtomicU64,
}

pub async fn run(base: &str, args: SoakArgs) -> anyhow::Result<()> {
    let counters = Arc::new(Counters::default());
    let deadline = Instant::now() + Duration::from_secs(args.minutes * 60);
    let mut tasks = tokio::task::JoinSet::new();

    // The watchers outlive the run by a minute (they are aborted after the last sample), so
    // the last sample still sees their streams open.
    for i in 0..args.clients {
        let (base, counters) = (base.to_string(), counters.clone());
        tasks.spawn(watch(base, counters, i, deadline + Duration::from_secs(60)));
    }
    let (jobs, receiver) = crate::live::async_channel(args.rate as usize * 2);
    let raters = crate::raters_for(args.rate, RATERS);
    for _ in 0..raters {
        let (base, counters, receiver) = (base.to_string(), counters.clone(), receiver.clone());
        tasks.spawn(async move {
            let mut client = guest();
            let mut mine = 0u64;
            while receiver.lock().await.recv().await.is_some() {
                match crate::next_and_rate(&client, &base).await {
                    Ok(_) => counters.acknowledged.fetch_add(1, Ordering::Relaxed),
                    Err(_) => counters.errors.fetch_add(1, Ordering::Relaxed),
                };
                mine += 1;
                if mine.is_multiple_of(RATINGS_PER_GUEST) {
                    client = guest();
                }
            }
        });
    }
    tasks.spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        while Instant::now() < deadline {
            tick.tick().await;
            let _ = jobs.try_send(());
        }
    });

    println!(
        "soak: {} min, {} ratings/s offered by {raters} raters (a new guest every {RATINGS_PER_GUEST}), {} watchers (a tenth reconnecting every 10 s)",
        args.minutes, args.rate, args.clients
    );
    println!("soak: minute   RSS (MiB)   open fds   ratings   errors   reconnects");
    let started = Instant::now();
    let mut samples: Vec<(f64, u64, usize)> = Vec::new();
    loop {
        let minute = started.elapsed().as_secs_f64() / 60.0;
        let (rss, fds) = (crate::live::rss_kib(args.pid)?, open_fds(args.pid)?);
        samples.push((minute, rss, fds));
        println!(
            "soak: {minute:6.1}   {:9.1}   {fds:8}   {:7}   {:6}   {:10}",
            rss as f64 / 1024.0,
            counters.acknowledged.load(Ordering::Relaxed),
            counters.errors.load(Ordering::Relaxed),
            counters.reconnects.load(Ordering::Relaxed),
        );
        if Instant::now() >= deadline {
            break;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        tokio::time::sleep(left.min(Duration::from_secs(args.sample_seconds))).await;
    }
    tasks.abort_all();

    let warm = samples
        .iter()
        .find(|(m, _, _)| *m >= args.minutes as f64 / 5.0)
        .or(samples.first())
        .copied()
        .context("no samples")?;
    let last = *samples.last().context("no samples")?;
    let peak_rss = samples.iter().map(|s| s.1).max().unwrap_or(0);
    println!(
        "soak: from minute {:.1} to {:.1}: RSS {:.1} -> {:.1} MiB ({:+.1}%), open fds {} -> {}, peak RSS {:.1} MiB",
        warm.0,
        last.0,
        warm.1 as f64 / 1024.0,
        last.1 as f64 / 1024.0,
        (last.1 as f64 / warm.1 as f64 - 1.0) * 100.0,
        warm.2,
        last.2,
        peak_rss as f64 / 1024.0
    );
    Ok(())
}

fn guest() -> reqwest::Client {
    crate::rater_client()
}

/// One watcher: reads its stream, drops it after a first stretch of 0 to 90 s (by its
/// number) and then every 100 s, and reconnects.
async fn watch(base: String, counters: Arc<Counters>, i: usize, deadline: Instant) {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let url = format!("{base}/api/campaigns/bench/events");
    // Spread the reconnections: each watcher's cycle is 100 s, offset by its number.
    let cycle = Duration::from_secs(100);
    let offset = Duration::from_secs((i % 10) as u64 * 10);
    let mut first = true;
    while Instant::now() < deadline {
        let Ok(mut response) = client.get(&url).send().await else {
            counters.errors.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_secs(1)).await;
            continue;
        };
        if !first {
            counters.reconnects.fetch_add(1, Ordering::Relaxed);
        }
        let hold = if first { offset } else { cycle };
        first = false;
        let until = Instant::now() + hold;
        while Instant::now() < until.min(deadline) {
            match tokio::time::timeout_at(until.min(deadline).into(), response.chunk()).await {
                Ok(Ok(Some(_))) => {}
                Ok(_) => break,
                Err(_) => break,
            }
        }
    }
}

/// Open file descriptors of process `pid`, from `/proc`.
fn open_fds(pid: u32) -> anyhow::Result<usize> {
    Ok(std::fs::read_dir(format!("/proc/{pid}/fd"))
        .with_context(|| format!("reading /proc/{pid}/fd"))?
        .count())
}

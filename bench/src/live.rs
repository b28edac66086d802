//! `swipeset-bench --live`: the live leaderboard under load.
//!
//! Connects `--clients` event-stream clients to one campaign, measures the server's
//! resident memory before and after (memory per connected client), then drives
//! `--rate` ratings per second for `--seconds` and reports how long after a rating's
//! acknowledgement its effect reached the clients (p50 / p95 over every client and
//! rating). A rating is taken to have arrived at a client with the first snapshot whose
//! rating count includes it (counted in acknowledgement order, so the figure is, if
//! anything, slightly pessimistic).
//!
//! Each snapshot says when it was taken (`as_of`), which splits that delay in two: the
//! wait for the snapshot to start (the coalescing of changes into at most ten snapshots a
//! second, plus the announcement's way to the feed, which crosses PostgreSQL between
//! replicas), and the rest (computing the board, fanning it out, the client reading it).
//!
//! With `--replicas N` (PostgreSQL), the clients watch the first replica and the ratings
//! go to the last: the delay is the cross-replica one.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context, bail};

use crate::open_loop::percentile;
use tokio::sync::Mutex;

/// What one client saw: when each snapshot arrived, the rating count it carried, and when
/// the server took it.
type Arrivals = Arc<Mutex<Vec<(Instant, i64, Option<SystemTime>)>>>;

pub struct LiveArgs {
    pub clients: usize,
    pub rate: u64,
    pub seconds: u64,
    pub pid: u32,
}

pub async fn run(servers: &crate::replicas::Balancer, args: LiveArgs) -> anyhow::Result<()> {
    let (base, rating_base) = (servers.first(), servers.last());
    if servers.len() > 1 {
        println!("live: clients watch {base}, ratings go to {rating_base}");
    }
    let rss_before = rss_kib(args.pid)?;
    let connected = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(tokio::sync::Notify::new());
    let mut all: Vec<Arrivals> = Vec::with_capacity(args.clients);
    let mut readers = tokio::task::JoinSet::new();
    let streams = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()?;
    for _ in 0..args.clients {
        let arrivals: Arrivals = Arc::default();
        all.push(arrivals.clone());
        let (client, url) = (
            streams.clone(),
            format!("{base}/api/campaigns/bench/events"),
        );
        let (connected, stop) = (connected.clone(), stop.clone());
        readers.spawn(async move {
            let Ok(mut response) = client.get(&url).send().await else {
                return;
            };
            let mut buffer = String::new();
            let mut first = true;
            loop {
                let chunk = tokio::select! {
                    chunk = response.chunk() => chunk,
                    () = stop.notified() => return,
                };
                let Ok(Some(bytes)) = chunk else { return };
                let now = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&bytes));
                while let Some(end) = buffer.find("\n\n") {
                    let frame: String = buffer.drain(..end + 2).collect();
                    let Some(ratings) = ratings_in(&frame) else {
                        continue;
                    };
                    arrivals.lock().await.push((now, ratings, taken_at(&frame)));
                    if first {
                        first = false;
                        connected.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        });
    }
    let connecting = Instant::now();
    while connected.load(Ordering::Relaxed) < args.clients {
        if connecting.elapsed() > Duration::from_secs(60) {
            bail!(
                "only {} of {} clients got their first snapshot within 60 s",
                connected.load(Ordering::Relaxed),
                args.clients
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    println!(
        "live: {} clients connected in {:.1?}",
        args.clients,
        connecting.elapsed()
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_after = rss_kib(args.pid)?;
    let per_client = (rss_after.saturating_sub(rss_before)) as f64 * 1024.0 / args.clients as f64;

    // Drive ratings at the asked rate through at least 64 annotators, each at about a
    // rating a second (a person's pace, within the per-rater request limits).
    let acks: Arc<Mutex<Vec<(u64, Instant, SystemTime)>>> = Arc::default();
    let acknowledged = Arc::new(AtomicU64::new(0));
    let (jobs, receiver) = async_channel(args.rate as usize * 2);
    let mut raters = tokio::task::JoinSet::new();
    for _ in 0..crate::raters_for(args.rate, 64) {
        let (receiver, acks, acknowledged, base) = (
            receiver.clone(),
            acks.clone(),
            acknowledged.clone(),
            rating_base.to_string(),
        );
        raters.spawn(async move {
            let client = crate::rater_client();
            while receiver.lock().await.recv().await.is_some() {
                if crate::next_and_rate(&client, &base).await.is_ok() {
                    let (at, wall) = (Instant::now(), SystemTime::now());
                    let n = acknowledged.fetch_add(1, Ordering::Relaxed) + 1;
                    acks.lock().await.push((n, at, wall));
                }
            }
        });
    }
    let driving = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / args.rate as f64));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut offered = 0u64;
    while driving.elapsed() < Duration::from_secs(args.seconds) {
        tick.tick().await;
        if jobs.try_send(()).is_ok() {
            offered += 1;
        }
    }
    drop(jobs);
    while raters.join_next().await.is_some() {}
    let driven = driving.elapsed();
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.notify_waiters();
    readers.abort_all();

    let acks = acks.lock().await.clone();
    let mut delays = Delays::default();
    for arrivals in &all {
        let arrivals = arrivals.lock().await;
        for &(n, at, wall) in &acks {
            // The first snapshot that counts at least n ratings.
            let i = arrivals.partition_point(|&(_, r, _)| r < n as i64);
            if let Some(&(seen, _, taken)) = arrivals.get(i) {
                delays.add(seen.saturating_duration_since(at), taken, wall);
            }
        }
    }
    let (total, waiting, rest) = delays.sorted();
    let events: usize = {
        let mut n = 0;
        for arrivals in &all {
            n += arrivals.lock().await.len();
        }
        n
    };
    println!(
        "live: {} ratings acknowledged in {:.1?} ({:.0}/s; {offered} offered at {}/s)",
        acks.len(),
        driven,
        acks.len() as f64 / driven.as_secs_f64(),
        args.rate
    );
    println!(
        "live: rating acknowledged -> its snapshot at the client: p50 {:.1} ms, p95 {:.1} ms ({} samples)",
        percentile(&total, 50.0),
        percentile(&total, 95.0),
        total.len()
    );
    println!(
        "live:   of which waiting for the snapshot to start: p50 {:.1} ms, p95 {:.1} ms",
        percentile(&waiting, 50.0),
        percentile(&waiting, 95.0),
    );
    println!(
        "live:   the rest (computing, fanning out, reading): p50 {:.1} ms, p95 {:.1} ms",
        percentile(&rest, 50.0),
        percentile(&rest, 95.0),
    );
    println!(
        "live: {:.1} snapshots per client per second while rating",
        events as f64 / args.clients as f64 / (driven.as_secs_f64() + 1.0)
    );
    println!(
        "live: server memory {} KiB idle -> {} KiB with {} clients = {:.1} KB per client",
        rss_before,
        rss_after,
        args.clients,
        per_client / 1000.0
    );
    Ok(())
}

/// The `progress.ratings` of a `leaderboard` event frame. Read by a string search rather
/// than a JSON parse: a thousand clients parsing every snapshot on the same two cores
/// would measure the load generator more than the server.
fn ratings_in(frame: &str) -> Option<i64> {
    if !frame.lines().any(|l| l.trim_end() == "event: leaderboard") {
        return None;
    }
    const PROGRESS: &str = "\"progress\":{";
    const KEY: &str = "\"ratings\":";
    let progress = frame.find(PROGRESS)? + PROGRESS.len();
    let start = progress + frame[progress..].find(KEY)? + KEY.len();
    let digits: String = frame[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Delays from acknowledgement to client, in milliseconds, whole and in their two parts.
#[derive(Default)]
struct Delays {
    total: Vec<f64>,
    waiting: Vec<f64>,
    rest: Vec<f64>,
}

impl Delays {
    /// One rating seen by one client `delay` after its acknowledgement (at wall-clock
    /// `acked`), in a snapshot taken at `taken`. A snapshot taken before the
    /// acknowledgement arrived (the rating committed, its answer still on the way) had
    /// no wait.
    fn add(&mut self, delay: Duration, taken: Option<SystemTime>, acked: SystemTime) {
        let total = delay.as_secs_f64() * 1000.0;
        self.total.push(total);
        if let Some(taken) = taken {
            let waiting = taken
                .duration_since(acked)
                .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
                .min(total);
            self.waiting.push(waiting);
            self.rest.push(total - waiting);
        }
    }

    fn sorted(self) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
        let sort = |mut v: Vec<f64>| {
            v.sort_by(f64::total_cmp);
            v
        };
        (sort(self.total), sort(self.waiting), sort(self.rest))
    }
}

/// When the server took the snapshot of a `leaderboard` frame (`as_of`).
fn taken_at(frame: &str) -> Option<SystemTime> {
    const KEY: &str = "\"as_of\":\"";
    let start = frame.find(KEY)? + KEY.len();
    let end = start + frame[start..].find('"')?;
    let taken = chrono::DateTime::parse_from_rfc3339(&frame[start..end]).ok()?;
    Some(SystemTime::from(taken.with_timezone(&chrono::Utc)))
}

/// A bounded multi-consumer queue of rating jobs.
pub(crate) fn async_channel(
    capacity: usize,
) -> (
    tokio::sync::mpsc::Sender<()>,
    Arc<Mutex<tokio::sync::mpsc::Receiver<()>>>,
) {
    let (sender, receiver) = tokio::sync::mpsc::channel(capacity.max(1));
    (sender, Arc::new(Mutex::new(receiver)))
}

/// The resident memory of process `pid`, in KiB, from `/proc`.
pub(crate) fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .context("no VmRSS in /proc status")
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_the_rating_count_of_a_snapshot() {
        let frame = "event: leaderboard\ndata: {\"campaign\":\"x\",\"models\":[],\"progress\":{\"ratings\":42,\"target\":9}}\n\n";
        assert_eq!(super::ratings_in(frame), Some(42));
        assert_eq!(super::ratings_in(": keep-alive\n\n"), None);
        let reordered = "event: leaderboard\ndata: {\"models\":[{\"up\":1}],\"progress\":{\"responses\":5,\"ratings\":7}}\n\n";
        assert_eq!(super::ratings_in(reordered), Some(7));
    }

    #[test]
    fn splits_a_delay_at_the_snapshot_time() {
        let acked = std::time::UNIX_EPOCH + std::time::Duration::from_millis(1_000);
        let frame = "event: leaderboard\ndata: {\"progress\":{\"ratings\":1},\"as_of\":\"1970-01-01T00:00:01.060Z\"}\n\n";
        let taken = super::taken_at(frame);
        assert_eq!(taken, Some(acked + std::time::Duration::from_millis(60)));
        let mut delays = super::Delays::default();
        delays.add(std::time::Duration::from_millis(75), taken, acked);
        // Taken before the acknowledgement came back: no wait.
        delays.add(
            std::time::Duration::from_millis(8),
            Some(acked),
            acked + std::time::Duration::from_millis(3),
        );
        let (total, waiting, rest) = delays.sorted();
        assert_eq!(total, [8.0, 75.0]);
        assert_eq!(waiting, [0.0, 60.0]);
        assert_eq!(rest, [8.0, 15.0]);
    }
}

//! `cargo run --release -p swipeset-bench`: the rating-path benchmark.
//!
//! 1. Seeds a SQLite campaign (default 100,000 responses over 5 models).
//! 2. Starts the release server on it (`--server`, default the release `swipeset`).
//! 3. Measures `GET /healthz` requests/s with the same load generator, as the limit.
//! 4. Runs N simulated annotators (default 64) over HTTP, each looping "next card, then
//!    rate it" for a fixed time, and prints ratings/s and p50/p95/p99 latencies.
//! 5. Measures next-card latency in the domain on a 10,000- and a 1,000,000-response
//!    campaign and prints the ratio.
//!
//! With `--live`, it benchmarks the live leaderboard instead (see `live.rs`); with
//! `--export`, the dataset export (see `export.rs`); with `--import`, the prompt import
//! (see `import.rs`); with `--generate`, the generator (see `generate.rs`); with `--soak
//! MINUTES`, a long steady load watching the server's memory and open files (see
//! `soak.rs`); with `--open-loop RATES`, ratings arriving at set rates whatever the server
//! does (see `open_loop.rs`).
//!
//! Figures are medians and ratios from one run on a shared machine; see docs/BENCHMARKS.md.

mod export;
mod generate;
mod import;
mod intervals;
mod live;
mod open_loop;
mod replicas;
mod soak;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use swipeset_core::accounts::guests;
use swipeset_core::campaign::NewCampaign;
use swipeset_core::campaign::models;
use swipeset_core::campaign::prompts;
use swipeset_core::campaign::responses::{self, NewResponse};
use swipeset_core::rating::deal;
use swipeset_core::rating::rate::{self, NewRating};
use swipeset_core::{DatabaseConnection, Label};
use tokio::sync::Mutex;

#[derive(Parser)]
struct Args {
    /// Responses in the HTTP benchmark's campaign (`--generations`, the older name, works too).
    #[arg(long, alias = "generations", default_value_t = 100_000)]
    responses: usize,
    /// Simulated annotators.
    #[arg(long, default_value_t = 64)]
    annotators: usize,
    /// Seconds each load phase runs.
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// The server binary (release build).
    #[arg(long)]
    server: Option<PathBuf>,
    /// Skip the 10k vs 1M next-card comparison (it seeds a million rows).
    #[arg(long)]
    skip_scaling: bool,
    /// Run only the 10k vs 1M next-card comparisons: a plain campaign, and one with
    /// adaptive overlap where nine responses in ten are settled already.
    #[arg(long)]
    deal_scaling: bool,
    /// Benchmark the live leaderboard instead: event-stream clients, a steady rating
    /// rate, delay from acknowledgement to the clients, memory per client.
    #[arg(long)]
    live: bool,
    /// Event-stream clients for `--live`.
    #[arg(long, default_value_t = 1_000)]
    clients: usize,
    /// Ratings per second driven during `--live`.
    #[arg(long, default_value_t = 500)]
    rate: u64,
    /// Compare the leaderboard's Wilson intervals with the model pages' prompt bootstrap
    /// on the demo campaign, rated by a simulated crowd.
    #[arg(long)]
    intervals: bool,
    /// Benchmark the model pages and the board's category filter instead, on the export
    /// benchmark's campaign (1,000,000 ratings over `--responses` responses).
    #[arg(long)]
    model_pages: bool,
    /// `--model-pages`: keep the seeded database in this folder, and use it again when it
    /// is there (seeding takes minutes).
    #[arg(long)]
    keep_database: Option<std::path::PathBuf>,
    /// Benchmark the export instead: 1,000,000 ratings over `--responses` responses.
    #[arg(long)]
    export: bool,
    /// Benchmark the prompt import instead: `--prompts` prompts from JSONL.
    #[arg(long)]
    import: bool,
    /// Benchmark `swipeset generate` instead, against a 50 ms fake endpoint.
    #[arg(long)]
    generate: bool,
    /// Requests in the `--generate` benchmark.
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    /// Run a steady load for this many minutes instead, sampling the server's memory and
    /// open files (`--rate` ratings/s, `--clients` watchers).
    #[arg(long)]
    soak: Option<u64>,
    /// Seconds between the soak's samples.
    #[arg(long, default_value_t = 60)]
    sample: u64,
    /// Prompts in the `--import` benchmark's file.
    #[arg(long, default_value_t = 1_000_000)]
    prompts: usize,
    /// Open loop instead: ratings arriving as a Poisson process at each of these offered
    /// rates (ratings/s, comma-separated), `--seconds` each, from `--raters` raters.
    #[arg(long, value_delimiter = ',')]
    open_loop: Vec<u64>,
    /// Raters ready at the start of each `--open-loop` phase (each its own guest).
    #[arg(long, default_value_t = 1_000)]
    raters: usize,
    /// New raters arriving per second during each `--open-loop` phase.
    #[arg(long, default_value_t = 5.0)]
    new_raters: f64,
    /// Run on PostgreSQL instead of SQLite: a URL to a database on the server where the
    /// benchmark may create its own (it makes a new one each run).
    #[arg(long)]
    postgres: Option<String>,
    /// `swipeset serve` processes on the one database (PostgreSQL only), requests going to
    /// each in turn; `--live` connects its clients to the first and rates on the last.
    #[arg(long, default_value_t = 1)]
    replicas: usize,
    /// `--database-pool` of each replica (PostgreSQL connections; default the server's).
    #[arg(long)]
    database_pool: Option<u32>,
}

const MODELS: usize = 5;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let dir = tempfile::tempdir()?;
    if args.generate {
        return generate::run(dir.path(), &server_binary(&args), args.requests).await;
    }
    if args.import {
        return import::run(dir.path(), &server_binary(&args), args.prompts).await;
    }
    if args.deal_scaling {
        for adaptive in [false, true] {
            deal_scaling(dir.path(), adaptive).await?;
        }
        return Ok(());
    }
    if args.intervals {
        return intervals::run().await;
    }
    if args.model_pages {
        let dir = args
            .keep_database
            .clone()
            .unwrap_or_else(|| dir.path().to_path_buf());
        std::fs::create_dir_all(&dir)?;
        return export::model_pages_only(&dir, args.responses).await;
    }
    if args.export {
        let server = server_binary(&args);
        return export::run(
            dir.path(),
            export::ExportArgs {
                responses: args.responses,
                server,
            },
        )
        .await;
    }
    if args.replicas == 0 || (args.replicas > 1 && args.postgres.is_none()) {
        bail!("--replicas N (N > 1) needs --postgres: several servers share one PostgreSQL");
    }
    let url = match &args.postgres {
        Some(server) => replicas::fresh_postgres(server).await?,
        None => format!("sqlite://{}", dir.path().join("bench.db").display()),
    };
    let started = Instant::now();
    let db = swipeset_core::db::connect(&url).await?;
    // A soak must not run out of cards: at overlap 3, each response takes three ratings.
    let responses = match args.soak {
        Some(minutes) => args
            .responses
            .max((args.rate * minutes * 60 / 3 * 11 / 10) as usize),
        None => args.responses,
    };
    let campaign = seed(&db, "bench", responses).await?;
    println!(
        "seeded {} responses over {MODELS} models in {:.1?} on {}",
        responses,
        started.elapsed(),
        swipeset_core::db::redact(&url)
    );
    db.close().await?;
    drop(campaign);

    let server = server_binary(&args);
    // The closed loop's workers rate as fast as the server answers, each standing for many
    // raters: the per-rater request limits are raised for them (and only them).
    let closed_loop = args.open_loop.is_empty() && !args.live && args.soak.is_none();
    let mut servers = Vec::new();
    let mut bases = Vec::new();
    let mut logs = Vec::new();
    for i in 0..args.replicas {
        let log = replicas::log_path(dir.path(), i);
        let (child, base) =
            replicas::start(&server, &url, args.database_pool, closed_loop, &log).await?;
        servers.push(child);
        bases.push(base);
        logs.push(log);
    }
    if args.replicas > 1 {
        println!("{} replicas: {}", args.replicas, bases.join(", "));
    }
    let balancer = Arc::new(replicas::Balancer::new(bases));
    let base = balancer.first().to_string();
    let print_server_errors = || logs.iter().for_each(|log| print_server_errors(log));
    let pid = servers[0].id().context("the server exited")?;

    if let Some(minutes) = args.soak {
        let soak_args = soak::SoakArgs {
            minutes,
            clients: args.clients,
            rate: args.rate,
            sample_seconds: args.sample,
            pid,
        };
        let outcome = soak::run(&base, soak_args).await;
        drop(servers);
        print_server_errors();
        return outcome;
    }

    if args.live {
        let live_args = live::LiveArgs {
            clients: args.clients,
            rate: args.rate,
            seconds: args.seconds,
            pid,
        };
        let outcome = live::run(&balancer, live_args).await;
        drop(servers);
        print_server_errors();
        return outcome;
    }

    let duration = Duration::from_secs(args.seconds);
    let health = load(args.annotators, duration, {
        let balancer = balancer.clone();
        move |client, _| {
            let url = format!("{}/healthz", balancer.next());
            async move {
                let t = Instant::now();
                let step = match client.get(&url).send().await {
                    Ok(r) if r.status().is_success() => Ok((t.elapsed(), 1)),
                    Ok(r) => Err(format!("healthz: {}", r.status())),
                    Err(e) => Err(format!("healthz: {e}")),
                };
                (step, None)
            }
        }
    })
    .await;
    println!(
        "healthz:  {:>8.0} requests/s  (p50 {:.2} ms, p99 {:.2} ms)",
        health.per_second(),
        health.percentile(50.0),
        health.percentile(99.0)
    );

    if !args.open_loop.is_empty() {
        let outcome = open_loop::run(
            balancer.clone(),
            open_loop::OpenLoopArgs {
                rates: args.open_loop.clone(),
                seconds: args.seconds,
                raters: args.raters,
                newcomers: args.new_raters,
                healthz_per_second: health.per_second(),
            },
        )
        .await;
        drop(servers);
        print_server_errors();
        return outcome;
    }

    let rating = load(args.annotators, duration, {
        let balancer = balancer.clone();
        move |client, _| {
            let base = balancer.next().to_string();
            async move { (next_and_rate(&client, &base).await, None) }
        }
    })
    .await;
    report(
        "ratings:",
        "next card + rate, two requests",
        &rating,
        health.per_second(),
    );
    let combined = load(args.annotators, duration, {
        let balancer = balancer.clone();
        move |client, hand| {
            let base = balancer.next().to_string();
            async move { rate_and_next(&client, &base, hand).await }
        }
    })
    .await;
    report(
        "combined:",
        "rate + next card in one request",
        &combined,
        health.per_second(),
    );
    drop(servers);
    print_server_errors();

    if !args.skip_scaling {
        deal_scaling(dir.path(), false).await?;
    }
    Ok(())
}

/// Prints the median time to deal the next card on a campaign of 10k responses and one of
/// 1M, and their ratio. With `adaptive`, the campaigns have adaptive overlap and nine
/// responses in ten are settled already (as near the end of a campaign): dealing must skip
/// them without reading them.
async fn deal_scaling(dir: &std::path::Path, adaptive: bool) -> anyhow::Result<()> {
    let kind = if adaptive { "adaptive-" } else { "" };
    let small = next_card_latency(dir, &format!("{kind}small"), 10_000, adaptive).await?;
    let large = next_card_latency(dir, &format!("{kind}large"), 1_000_000, adaptive).await?;
    println!(
        "next card (domain, median of 200{}): 10k responses {:.3} ms, 1M responses {:.3} ms, ratio {:.2}",
        if adaptive {
            ", adaptive overlap, 90% settled"
        } else {
            ""
        },
        small,
        large,
        large / small
    );
    Ok(())
}

/// A simulated rater's browser: its own cookies, and its own client address. The servers
/// the benchmark starts trust `X-Forwarded-For` (`--trust-proxy`), so that each rater
/// counts against the limits on new guests per address as a person on their own phone
/// would, rather than all of them as one address.
pub(crate) fn rater_client() -> reqwest::Client {
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(1);
    let [_, b, c, d] = NEXT.fetch_add(1, Ordering::Relaxed).to_be_bytes();
    let mut headers = reqwest::header::HeaderMap::new();
    if let Ok(address) = format!("10.{b}.{c}.{d}").parse() {
        headers.insert("x-forwarded-for", address);
    }
    reqwest::Client::builder()
        .cookie_store(true)
        .default_headers(headers)
        .build()
        .expect("client")
}

/// Raters for `rate` ratings a second, at least `at_least`: about one rating a second each,
/// a person's pace, within the per-rater request limits.
pub(crate) fn raters_for(rate: u64, at_least: usize) -> usize {
    usize::try_from(rate).unwrap_or(usize::MAX).max(at_least)
}

/// The release server: `--server`, or `release/swipeset` in `$CARGO_TARGET_DIR` (by
/// default `~/.cache/swipeset/target`, as the Makefile builds it).
fn server_binary(args: &Args) -> PathBuf {
    args.server.clone().unwrap_or_else(|| {
        // The Makefile's default target directory when none is set.
        let target = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|home| PathBuf::from(home).join(".cache/swipeset/target"))
            })
            .unwrap_or_else(|| PathBuf::from("target"));
        target.join("release/swipeset")
    })
}

/// One simulated annotator's step: get a card, rate it (with a client id, as the browser
/// does). Returns the time taken and the ratings made, or why the step failed.
async fn next_and_rate(client: &reqwest::Client, base: &str) -> Step {
    let t = Instant::now();
    let id = deal_one(client, base).await?;
    post(client, &format!("{base}/api/rate"), rating_body(id, 0))
        .await
        .map_err(|e| format!("rate: {e}"))?;
    Ok((t.elapsed(), 1))
}

/// The same step as the browser takes it when its queue runs low: the rating asks for
/// the next card in the same request. The card comes back for the next step.
async fn rate_and_next(client: &reqwest::Client, base: &str, hand: Hand) -> (Step, Hand) {
    let t = Instant::now();
    let id = match hand {
        Some(id) => id,
        None => match deal_one(client, base).await {
            Ok(id) => id,
            Err(e) => return (Err(e), None),
        },
    };
    let reply = match post(client, &format!("{base}/api/rate"), rating_body(id, 1)).await {
        Ok(reply) => reply,
        Err(e) => return (Err(format!("rate: {e}")), None),
    };
    (
        Ok((t.elapsed(), 1)),
        reply["cards"][0]["response_id"].as_i64(),
    )
}

/// One card dealt with `next_cards`.
async fn deal_one(client: &reqwest::Client, base: &str) -> Result<i64, String> {
    let dealt = post(
        client,
        &format!("{base}/api/next_cards"),
        serde_json::json!({ "campaign": "bench", "count": 1, "holding": [] }),
    )
    .await
    .map_err(|e| format!("next_cards: {e}"))?;
    dealt["cards"][0]["response_id"]
        .as_i64()
        .ok_or_else(|| "next_cards: no card dealt".to_string())
}

/// A rating of `id` as the browser sends it (with an id of its own, which the server
/// checks), asking for `deal` more cards.
fn rating_body(id: i64, deal: usize) -> serde_json::Value {
    static CLIENT_IDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let client_id = CLIENT_IDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let label = if id % 3 == 0 { "down" } else { "up" };
    serde_json::json!({
        "response_id": id,
        "label": label,
        "client_id": format!("bench-{client_id}"),
        "decision_ms": 1500,
        "deal": deal,
    })
}

/// Prints a rating phase's figures against `/healthz`.
fn report(name: &str, what: &str, load: &Load, health_per_second: f64) {
    println!(
        "{name:<9} {:>8.0} ratings/s   ({:.0}% of healthz; {what})",
        load.per_second(),
        100.0 * load.per_second() / health_per_second
    );
    println!(
        "          round trip: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms ({} errors)",
        load.percentile(50.0),
        load.percentile(95.0),
        load.percentile(99.0),
        load.error_count()
    );
    for (reason, n) in &load.errors {
        println!("          {n} failed: {reason}");
    }
}

/// A step's time and how many ratings it made, or why it failed.
type Step = Result<(Duration, u64), String>;

/// The card a simulated annotator holds between steps, if any.
type Hand = Option<i64>;

/// POSTs JSON; the JSON answer, or the status and message of a failure.
async fn post(
    client: &reqwest::Client,
    url: &str,
    body: serde_json::Value,
) -> Result<serde_json::Value, String> {
    let reply = client
        .post(url)
        .json(&body)
        .send()
        .await
        .map_err(|e| format!("request failed: {e}"))?;
    let status = reply.status();
    let text = reply.text().await.map_err(|e| format!("body: {e}"))?;
    if !status.is_success() {
        return Err(format!(
            "{status}: {}",
            text.chars().take(160).collect::<String>()
        ));
    }
    serde_json::from_str(&text).map_err(|e| format!("not JSON: {e}"))
}

struct Load {
    latencies_ms: Vec<f64>,
    count: u64,
    /// Failed steps, by reason.
    errors: BTreeMap<String, u64>,
    elapsed: Duration,
}

impl Load {
    fn error_count(&self) -> u64 {
        self.errors.values().sum()
    }

    fn per_second(&self) -> f64 {
        self.count as f64 / self.elapsed.as_secs_f64()
    }

    fn percentile(&self, p: f64) -> f64 {
        if self.latencies_ms.is_empty() {
            return f64::NAN;
        }
        let index = ((p / 100.0) * (self.latencies_ms.len() - 1) as f64).round() as usize;
        self.latencies_ms[index]
    }
}

/// Runs `workers` loops of `step` (each with its own cookie jar, like a browser) for
/// `duration`. Each loop passes the card it holds (if any) from one step to the next.
async fn load<F, Fut>(workers: usize, duration: Duration, step: F) -> Load
where
    F: Fn(reqwest::Client, Hand) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = (Step, Hand)> + Send,
{
    let results = Arc::new(Mutex::new((Vec::new(), 0u64, BTreeMap::new())));
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..workers {
        let step = step.clone();
        let results = results.clone();
        tasks.spawn(async move {
            let client = rater_client();
            let mut local = (Vec::new(), 0u64, BTreeMap::<String, u64>::new());
            let mut hand = None;
            while started.elapsed() < duration {
                let (outcome, next) = step(client.clone(), hand).await;
                hand = next;
                match outcome {
                    Ok((took, made)) => {
                        local.0.push(took.as_secs_f64() * 1000.0);
                        local.1 += made;
                    }
                    Err(reason) => *local.2.entry(reason).or_default() += 1,
                }
            }
            let mut all = results.lock().await;
            all.0.extend(local.0);
            all.1 += local.1;
            for (reason, n) in local.2 {
                *all.2.entry(reason).or_default() += n;
            }
        });
    }
    while tasks.join_next().await.is_some() {}
    let elapsed = started.elapsed();
    let (mut latencies_ms, count, errors) = std::mem::take(&mut *results.lock().await);
    latencies_ms.sort_by(f64::total_cmp);
    Load {
        latencies_ms,
        count,
        errors,
        elapsed,
    }
}

/// A campaign with `count` responses over `MODELS` models, overlap 3.
async fn seed(
    db: &DatabaseConnection,
    slug: &str,
    count: usize,
) -> anyhow::Result<swipeset_core::db::entities::campaign::Model> {
    seed_with(db, slug, count, |n| format!("Response number {n}")).await
}

/// Like `seed`, with each response's text made by `response` from its running number.
async fn seed_with(
    db: &DatabaseConnection,
    slug: &str,
    count: usize,
    response: impl Fn(usize) -> String,
) -> anyhow::Result<swipeset_core::db::entities::campaign::Model> {
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    // Public, so the live benchmark's dashboards need no account.
    let campaign = swipeset_core::campaign::create(
        &txn,
        NewCampaign {
            public_board: true,
            ..NewCampaign::new(slug, slug)
        },
    )
    .await?;
    let mut model_ids = Vec::new();
    for m in 0..MODELS {
        model_ids.push(
            models::ensure(&txn, &format!("Model {m}"), &format!("{slug}/model-{m}"))
                .await?
                .id,
        );
    }
    let mut batch = Vec::new();
    for p in 0..count.div_ceil(MODELS) {
        let prompt = prompts::add(
            &txn,
            campaign.id,
            &format!("Prompt number {p}: write a haiku"),
            None,
            None,
        )
        .await?;
        for &model_id in &model_ids {
            batch.push(NewResponse::for_prompt(
                &prompt,
                model_id,
                response(p * MODELS + model_id as usize),
            ));
        }
        if batch.len() >= 2_000 {
            responses::add_many(&txn, campaign.id, std::mem::take(&mut batch)).await?;
        }
    }
    responses::add_many(&txn, campaign.id, batch).await?;
    txn.commit().await?;
    Ok(campaign)
}

/// Median time of `cards::deal` for an annotator who has rated 100 cards, on a campaign
/// of `count` responses.
async fn next_card_latency(
    dir: &std::path::Path,
    name: &str,
    count: usize,
    adaptive: bool,
) -> anyhow::Result<f64> {
    let url = format!("sqlite://{}", dir.join(format!("{name}.db")).display());
    let db = swipeset_core::db::connect(&url).await?;
    let mut campaign = seed(&db, name, count).await?;
    if adaptive {
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        use swipeset_core::db::entities::generation;
        campaign = swipeset_core::campaign::update(
            &db,
            &campaign.slug,
            NewCampaign {
                adaptive_overlap: true,
                public_board: true,
                ..NewCampaign::new(campaign.slug.clone(), campaign.title.clone())
            },
        )
        .await?;
        // Settled as two agreeing votes would leave them (their counters are not needed
        // for dealing to skip them).
        generation::Entity::update_many()
            .col_expr(generation::Column::Settled, Expr::value(true))
            .filter(generation::Column::CampaignId.eq(campaign.id))
            .filter(Expr::cust("\"id\" % 10 <> 0"))
            .exec(&db)
            .await?;
    }
    let user = guests::browser_annotator(&db, &format!("bench-{name}")).await?;
    let store = swipeset_core::Store::new(db.clone());
    let mut times = Vec::new();
    for i in 0..300 {
        let t = Instant::now();
        let dealt = deal::deal(&store, &campaign, user.id, 1, &[], chrono::Utc::now()).await?;
        let took = t.elapsed().as_secs_f64() * 1000.0;
        let Some(card) = dealt.first() else {
            bail!("campaign {name} ran out of cards")
        };
        rate::rate(&store, user.id, NewRating::new(card.response_id, Label::Up)).await?;
        if i >= 100 {
            times.push(took);
        }
    }
    times.sort_by(f64::total_cmp);
    drop(store);
    db.close().await?;
    Ok(times[times.len() / 2])
}

/// The server's own account of failures, a few distinct lines of its log.
fn print_server_errors(log: &std::path::Path) {
    let Ok(text) = std::fs::read_to_string(log) else {
        return;
    };
    let mut seen = std::collections::BTreeSet::new();
    for line in text
        .lines()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
    {
        // Drop the timestamp so repeats of one failure collapse.
        let message = line.split_once(' ').map_or(line, |(_, rest)| rest).trim();
        if seen.insert(message.to_string()) && seen.len() <= 5 {
            println!("          server: {message}");
        }
    }
}

pub(crate) async fn wait_healthy(base: &str) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{base}/healthz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("the server at {base} did not become healthy")
}

pub(crate) fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

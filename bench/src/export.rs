//! `swipeset-bench --export`: the export benchmark.
//!
//! Seeds a campaign of 100,000 responses (about 600 characters each) over 5 models with
//! 1,000,000 ratings from 200 annotators (10 per response), brings every aggregate up to
//! date with the repair command's own code, then measures:
//! - `swipeset export --kind kto --format parquet` (under `majority` and under `weighted`,
//!   which fits the raters' reliability to the million votes first) and `--kind ratings
//!   --format jsonl`, each run three times as a separate process: median wall time and peak
//!   RSS;
//! - the admin's raters page figures (`moderation::raters::list`), in process;
//! - a streamed dashboard download (`GET /api/campaigns/{slug}/export`): time to the first
//!   byte of the body, and to the end.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder, QuerySelect};
use swipeset_core::DatabaseConnection;
use swipeset_core::db::entities::{generation, rating};

const ANNOTATORS: usize = 200;
const VOTES_PER_RESPONSE: usize = 10;
const RUNS: usize = 3;

pub struct ExportArgs {
    pub responses: usize,
    pub server: PathBuf,
}

/// A small deterministic generator: the bench needs varied text and votes, not quality.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

const WORDS: &[&str] = &[
    "autumn", "moon", "river", "silent", "stone", "the", "a", "of", "wind", "over", "under",
    "bright", "falls", "cherry", "blossom", "frog", "pond", "water", "light", "shadow", "mountain",
    "and", "in", "quietly", "snow", "evening", "bell", "temple", "cold", "crow",
];

fn text(rng: &mut Lcg, chars: usize) -> String {
    let mut out = String::with_capacity(chars + 16);
    while out.len() < chars {
        out.push_str(WORDS[(rng.next() as usize) % WORDS.len()]);
        out.push(if rng.next().is_multiple_of(9) {
            '\n'
        } else {
            ' '
        });
    }
    out
}

pub async fn run(dir: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let url = format!("sqlite://{}", dir.join("export.db").display());
    let started = Instant::now();
    let db = swipeset_core::db::connect(&url).await?;
    let slug = "bench-export";
    let ratings = seed(&db, slug, args.responses).await?;
    println!(
        "seeded {} responses and {ratings} ratings in {:.1?}",
        args.responses,
        started.elapsed()
    );
    raters_page(&db, slug).await?;
    model_pages(&db, slug).await?;
    db.close().await?;

    for (kind, format, policy) in [
        ("kto", "parquet", "majority"),
        ("kto", "parquet", "weighted"),
        ("ratings", "jsonl", "majority"),
    ] {
        let mut times = Vec::new();
        let mut peak_kb = 0;
        let mut rows_line = String::new();
        for run in 0..RUNS {
            let out = dir.join(format!("{kind}-{format}-{run}"));
            let (took, rss_kb, stdout) = measure(
                &args.server,
                &[
                    "export",
                    "--database-url",
                    &url,
                    "--campaign",
                    slug,
                    "--kind",
                    kind,
                    "--format",
                    format,
                    "--policy",
                    policy,
                    "--out",
                    &out.display().to_string(),
                ],
            )?;
            times.push(took);
            peak_kb = peak_kb.max(rss_kb);
            rows_line = stdout.lines().next().unwrap_or_default().to_string();
            let size =
                std::fs::metadata(out.join(format!("data/train-00000-of-00001.{format}")))?.len();
            rows_line.push_str(&format!(" ({:.1} MB)", size as f64 / 1e6));
            std::fs::remove_dir_all(&out).ok();
        }
        times.sort_by(f64::total_cmp);
        println!(
            "export {kind:<7} {format:<7} {policy:<8}: median {:.2} s of {RUNS} runs, peak RSS {:.0} MB",
            times[RUNS / 2],
            peak_kb as f64 / 1024.0
        );
        println!("                         {rows_line}");
    }

    download(&args.server, &url, slug).await
}

/// The campaign of `responses` responses of about 600 characters and their ratings, with
/// every aggregate counted in; how many ratings.
async fn seed(db: &DatabaseConnection, slug: &str, responses: usize) -> anyhow::Result<usize> {
    crate::seed_with(db, slug, responses, |rng_seed| {
        let mut rng = Lcg(rng_seed as u64);
        text(&mut rng, 600)
    })
    .await?;
    seed_ratings(db).await?;
    Ok(swipeset_core::board::aggregates::rebuild(db, true)
        .await?
        .ratings)
}

/// `--model-pages`: the export benchmark's campaign (seeded once into `dir`, then used
/// again), and every model's page on it.
pub async fn model_pages_only(dir: &Path, responses: usize) -> anyhow::Result<()> {
    let path = dir.join("export.db");
    let seeded = path.exists();
    let url = format!("sqlite://{}", path.display());
    let db = swipeset_core::db::connect(&url).await?;
    let slug = "bench-export";
    if !seeded {
        let started = Instant::now();
        let ratings = seed(&db, slug, responses).await?;
        println!(
            "seeded {responses} responses and {ratings} ratings in {:.1?} into {}",
            started.elapsed(),
            path.display()
        );
    }
    model_pages(&db, slug).await?;
    db.close().await?;
    Ok(())
}

/// The admin's raters page reads each rater's counters (`rater_stat`, `rater_decision`,
/// `annotator_stat`): how long that takes on this campaign (median of 3).
async fn raters_page(db: &DatabaseConnection, slug: &str) -> anyhow::Result<()> {
    let campaign = swipeset_core::campaign::resolve(db, Some(slug))
        .await?
        .context("the seeded campaign")?;
    let mut times = Vec::new();
    let mut raters = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        raters = swipeset_core::moderation::raters::list(db, &campaign)
            .await?
            .len();
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    println!(
        "raters page figures ({raters} raters): median {:.2} s of {RUNS} runs",
        times[RUNS / 2]
    );
    Ok(())
}

/// Every model's page (`board::model_page`), in process: the campaign gets a category
/// (8 topics over its prompts) first, as an organiser would name one. `PAGE_RUNS` reads
/// of each model's page, and of the board filtered by a category: median and p95.
async fn model_pages(db: &DatabaseConnection, slug: &str) -> anyhow::Result<()> {
    use sea_orm::ConnectionTrait;
    const PAGE_RUNS: usize = 40;
    let campaign = swipeset_core::campaign::resolve(db, Some(slug))
        .await?
        .context("the seeded campaign")?;
    db.execute_unprepared(&format!(
        "UPDATE prompt SET metadata = json_object('topic', 'topic ' || (id % 8)) WHERE campaign_id = {}",
        campaign.id
    ))
    .await?;
    let started = Instant::now();
    let campaign = swipeset_core::campaign::update(
        db,
        slug,
        swipeset_core::campaign::NewCampaign {
            category_field: Some("topic".into()),
            ..settings_of(&campaign)
        },
    )
    .await?;
    println!(
        "naming the category field (every prompt's category set): {:.2} s",
        started.elapsed().as_secs_f64()
    );
    let now = chrono::Utc::now();
    let board = swipeset_core::board::leaderboard::leaderboard(db, &campaign, now, 30).await?;
    let outcomes = swipeset_core::board::model_page::Outcomes::default();
    // The first read of a campaign also reads its head-to-head outcomes; later reads
    // find them kept (and ask for new ones in the background every 10 s).
    let started = Instant::now();
    swipeset_core::board::model_page::model_page(
        db,
        &outcomes,
        &campaign,
        &board.models[0].model,
        now,
        true,
    )
    .await?;
    println!(
        "model page, first read (head-to-head outcomes read too): {:.1} ms",
        started.elapsed().as_secs_f64() * 1e3
    );
    let mut times = Vec::new();
    for run in 0..PAGE_RUNS {
        let model = &board.models[run % board.models.len()].model;
        let started = Instant::now();
        let page = swipeset_core::board::model_page::model_page(
            db, &outcomes, &campaign, model, now, true,
        )
        .await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
        assert_eq!(&page.standing.model, model);
        if run == 0 {
            let clustered = page.clustered.map_or(0.0, |i| i.high - i.low);
            let wilson = page.standing.rate.map_or(0.0, |i| i.high - i.low);
            println!(
                "  {model}: 👍 {:.3}, Wilson interval width {wilson:.4}, prompt-bootstrap width {clustered:.4} ({:.2}x)",
                page.standing.rate.map_or(0.0, |i| i.estimate),
                clustered / wilson
            );
        }
    }
    report("model page, later reads", &mut times);
    let mut times = Vec::new();
    for run in 0..PAGE_RUNS {
        let category = format!("topic {}", run % 8);
        let started = Instant::now();
        swipeset_core::board::leaderboard::filtered(db, &campaign, now, 30, Some(&category))
            .await?;
        times.push(started.elapsed().as_secs_f64() * 1e3);
    }
    report("board filtered by category", &mut times);
    Ok(())
}

/// A campaign's settings as `NewCampaign`, to change one of them.
fn settings_of(
    c: &swipeset_core::db::entities::campaign::Model,
) -> swipeset_core::campaign::NewCampaign {
    swipeset_core::campaign::settings(c).into()
}

fn report(what: &str, times: &mut [f64]) {
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize];
    println!(
        "{what}: median {:.1} ms, p95 {:.1} ms, of {} reads",
        at(0.5),
        at(0.95),
        times.len()
    );
}

/// 10 ratings per response from 200 annotators, inserted directly (the rating path has
/// its own benchmark); `aggregates::rebuild` then counts them in.
async fn seed_ratings(db: &DatabaseConnection) -> anyhow::Result<()> {
    let mut users = Vec::with_capacity(ANNOTATORS);
    for i in 0..ANNOTATORS {
        users.push(
            swipeset_core::accounts::guests::browser_annotator(db, &format!("bench-export-{i}"))
                .await?
                .id,
        );
    }
    let generations: Vec<(i32, i32)> = generation::Entity::find()
        .select_only()
        .columns([generation::Column::Id, generation::Column::ModelId])
        .order_by_asc(generation::Column::Id)
        .into_tuple()
        .all(db)
        .await?;
    let txn = sea_orm::TransactionTrait::begin(db).await?;
    let mut rng = Lcg(7);
    let now = chrono::Utc::now();
    let mut batch = Vec::with_capacity(2_000);
    for (g, (generation_id, model_id)) in generations.iter().enumerate() {
        // Each model has its own 👍 rate, 45% to 85%.
        let up_per_mille = 450 + (*model_id as u64 % 5) * 100;
        for v in 0..VOTES_PER_RESPONSE {
            let user = users[(g * 7 + v * 13) % ANNOTATORS];
            batch.push(rating::ActiveModel {
                user_id: Set(user),
                generation_id: Set(*generation_id),
                label: Set(rng.next() % 1000 < up_per_mille),
                created_at: Set(now - chrono::TimeDelta::seconds((rng.next() % 86_400) as i64)),
                client_id: Set(None),
                decision_ms: Set(Some((800 + rng.next() % 6_000) as i32)),
                ..Default::default()
            });
        }
        if batch.len() >= 2_000 {
            rating::Entity::insert_many(std::mem::take(&mut batch))
                .exec_without_returning(&txn)
                .await?;
        }
    }
    if !batch.is_empty() {
        rating::Entity::insert_many(batch)
            .exec_without_returning(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(())
}

/// Runs `program args` to the end: wall time in seconds, peak RSS in KB, and its
/// standard output. The peak is the child's own high-water mark (`VmHWM`), read every few
/// milliseconds while it runs: the kernel's `ru_maxrss` would also count the benchmark's
/// own memory, which the child shares between fork and exec.
pub(crate) fn measure(program: &Path, args: &[&str]) -> anyhow::Result<(f64, i64, String)> {
    let out_path = std::env::temp_dir().join(format!("swipeset-bench-{}.out", std::process::id()));
    let started = Instant::now();
    let child = std::process::Command::new(program)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::from(std::fs::File::create(&out_path)?))
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("cannot start {}", program.display()))?;
    let pid = child.id() as libc::pid_t;
    let status_file = format!("/proc/{pid}/status");
    let mut peak_kb = 0i64;
    let mut status = 0;
    loop {
        if let Some(kb) = std::fs::read_to_string(&status_file)
            .ok()
            .and_then(|text| high_water_kb(&text))
        {
            peak_kb = peak_kb.max(kb);
        }
        // SAFETY: pid is our own child, not yet reaped; status outlives the call.
        let waited = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if waited == pid {
            break;
        }
        if waited < 0 {
            bail!("waiting for {} failed", program.display());
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let took = started.elapsed().as_secs_f64();
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    std::fs::remove_file(&out_path).ok();
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("{} {:?} failed:\n{stdout}", program.display(), args);
    }
    Ok((took, peak_kb, stdout))
}

/// `VmHWM` (peak resident memory) from a `/proc/PID/status` text, in KB.
fn high_water_kb(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// A streamed download from a running server: time to the response head, to the first
/// body byte, and to the end.
async fn download(server: &Path, url: &str, slug: &str) -> anyhow::Result<()> {
    // Downloads are for admins: one, with an API token, made before the server starts.
    let token = {
        use swipeset_core::accounts::{Role, tokens, users};
        let db = swipeset_core::db::connect(url).await?;
        let admin = users::create(&db, "bench-admin", "bench-admin-password", Role::Admin).await?;
        let (_, token) = tokens::create(&db, admin.id, "bench").await?;
        db.close().await?;
        token
    };
    let port = crate::free_port()?;
    let mut child = tokio::process::Command::new(server)
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--database-url",
            url,
        ])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("cannot start {}", server.display()))?;
    let base = format!("http://127.0.0.1:{port}");
    crate::wait_healthy(&base).await?;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        format!("Bearer {token}").parse()?,
    );
    let client = reqwest::Client::builder()
        .default_headers(headers)
        .timeout(Duration::from_secs(600))
        .build()?;
    for (what, query) in [
        ("kto parquet", "kind=kto&format=parquet"),
        ("kto zip", "kind=kto&format=parquet&archive=zip"),
        ("ratings jsonl", "kind=ratings&format=jsonl"),
    ] {
        let mut first_bytes = Vec::new();
        let mut totals = Vec::new();
        let mut size = 0;
        for _ in 0..RUNS {
            let started = Instant::now();
            let mut response = client
                .get(format!("{base}/api/campaigns/{slug}/export?{query}"))
                .send()
                .await?
                .error_for_status()?;
            let mut first = None;
            size = 0;
            while let Some(chunk) = response.chunk().await? {
                first.get_or_insert_with(|| started.elapsed().as_secs_f64() * 1000.0);
                size += chunk.len();
            }
            first_bytes.push(first.unwrap_or(f64::NAN));
            totals.push(started.elapsed().as_secs_f64());
        }
        first_bytes.sort_by(f64::total_cmp);
        totals.sort_by(f64::total_cmp);
        println!(
            "download {what:<13}: first byte median {:.0} ms, whole {:.2} s ({:.1} MB)",
            first_bytes[RUNS / 2],
            totals[RUNS / 2],
            size as f64 / 1e6
        );
    }
    let status = std::fs::read_to_string(format!("/proc/{}/status", child.id().unwrap_or(0)))
        .unwrap_or_default();
    if let Some(hwm) = status.lines().find(|l| l.starts_with("VmHWM")) {
        println!(
            "server peak RSS after the downloads: {}",
            hwm.trim_start_matches("VmHWM:").trim()
        );
    }
    child.kill().await.ok();
    Ok(())
}

//! `swipeset generate`: ask OpenAI-compatible endpoints for the responses a campaign still
//! needs, with a progress bar, stopping cleanly on Ctrl-C (what finished is kept, a rerun
//! goes on), and a per-model summary of what was done, failed and already there.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use swipeset_core::generate::{self, GenerateOptions, ModelsFile, Progress};

use super::open;
use crate::config::DatabaseArgs;

#[derive(Debug, Args)]
pub struct GenerateArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The campaign's slug.
    #[arg(long)]
    pub campaign: String,
    /// The models to ask (see examples/models.*.toml).
    #[arg(long)]
    pub models: PathBuf,
    /// Ask again what failed in earlier runs.
    #[arg(long)]
    pub retry_failed: bool,
}

pub async fn run(args: GenerateArgs) -> anyhow::Result<()> {
    let models = ModelsFile::load(&args.models)?;
    let db = open::database(&args.database).await?;
    let store = swipeset_core::Store::new(db);
    // The length comes with the plan (`Progress::Planned`).
    let bar = open::progress_bar(0, "{bar:30} {pos}/{len}  {per_sec}  eta {eta}  {msg}");
    let failures = AtomicU64::new(0);
    let started = Instant::now();
    let options = GenerateOptions {
        retry_failed: args.retry_failed,
        ..GenerateOptions::default()
    };
    let on_progress = |event: Progress| match event {
        Progress::Planned { models } => bar.set_length(models.iter().map(|m| m.asked).sum()),
        Progress::Finished { failure, .. } => {
            if failure.is_some() {
                let n = failures.fetch_add(1, Ordering::Relaxed) + 1;
                bar.set_message(format!("{n} failed"));
            }
            bar.inc(1);
        }
    };
    // Ctrl-C stops at once: what finished is committed, the rest runs next time.
    let reports = tokio::select! {
        reports = generate::generate(&store, &args.campaign, &models, &options, &on_progress) => {
            reports.with_context(|| format!("generating for campaign `{}`", args.campaign))?
        }
        _ = tokio::signal::ctrl_c() => {
            bar.abandon();
            println!("stopped: what finished is saved; run the same command to go on");
            return Ok(());
        }
    };
    bar.finish_and_clear();
    println!(
        "generation for campaign `{}` finished in {:.1} s",
        args.campaign,
        started.elapsed().as_secs_f64()
    );
    for r in reports {
        println!(
            "  {:<28} {:>6} done  {:>5} failed  {:>6} already there  {:>7} requests  {} + {} tokens",
            r.name, r.done, r.failed, r.skipped, r.requests, r.prompt_tokens, r.completion_tokens
        );
        for (reason, n) in &r.failures {
            println!("      {n} × {reason}");
        }
    }
    Ok(())
}

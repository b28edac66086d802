//! `swipeset stats rebuild`: recount the leaderboard's aggregates from the ratings, the
//! repair (and, with `--check`, the monitor) for counters that drifted from their source.

use anyhow::Context;
use clap::Subcommand;

use super::open;
use crate::config::DatabaseArgs;

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Recount the leaderboard's aggregates from the ratings, report any drift, and fix it.
    Rebuild {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Only report the drift; change nothing.
        #[arg(long)]
        check: bool,
    },
}

pub async fn run(command: StatsCommand) -> anyhow::Result<()> {
    match command {
        StatsCommand::Rebuild { database, check } => {
            let db = open::database(&database).await?;
            let drift = swipeset_core::board::aggregates::rebuild(&db, !check)
                .await
                .context("recounting the aggregates")?;
            report_drift(&drift, check);
            // A check that found drift exits non-zero, so scripts and monitors notice.
            if check && !drift.is_clean() {
                std::process::exit(1);
            }
            Ok(())
        }
    }
}

fn report_drift(drift: &swipeset_core::board::aggregates::Drift, check: bool) {
    println!("counted {} ratings", drift.ratings);
    if drift.is_clean() {
        println!("no drift: every aggregate matches the ratings");
        return;
    }
    let verb = if check {
        "differ"
    } else {
        "differed and were rewritten"
    };
    for (n, what) in [
        (drift.generations, "generation counters"),
        (drift.model_stats, "per-model 👍/👎 rows"),
        (drift.vote_patterns, "vote-pattern rows"),
        (drift.rating_hours, "ratings-per-hour rows"),
        (drift.annotator_stats, "per-annotator rows"),
    ] {
        if n > 0 {
            println!("{n} {what} {verb}");
        }
    }
    if check {
        println!("run `swipeset stats rebuild` (without --check) to fix them");
    }
}

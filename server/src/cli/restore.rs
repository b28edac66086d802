//! `swipeset restore --from-hub OWNER/NAME`: the database of the last snapshot that
//! `serve --publish-every` published there, put back in place of (or where there is no)
//! SQLite database. Stop the server first.

use std::sync::Arc;

use clap::Args;
use swipeset_core::hub::RepoId;
use swipeset_core::hub::snapshot::restore;

use super::open;
use crate::config::DatabaseArgs;
use crate::hub::HubArgs;

#[derive(Debug, Args)]
pub struct RestoreArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The snapshot repository, OWNER/NAME.
    #[arg(long = "from-hub")]
    pub from_hub: String,
    /// Replace an existing database (it is kept beside it as <name>.before-restore-<time>).
    #[arg(long)]
    pub overwrite: bool,
    #[command(flatten)]
    pub hub: HubArgs,
}

pub async fn run(args: RestoreArgs) -> anyhow::Result<()> {
    let repo: RepoId = args.from_hub.parse()?;
    let client = args.hub.client()?;
    let bar = open::progress_bar(0, "downloading {bar:30} {bytes}/{total_bytes}  eta {eta}");
    let shown = bar.clone();
    let progress = Arc::new(move |sent: u64, total: u64| {
        shown.set_length(total);
        shown.set_position(sent);
    });
    let report = restore(
        &client,
        &repo,
        &args.database.database_url,
        args.overwrite,
        Some(progress),
    )
    .await?;
    bar.finish_and_clear();
    println!(
        "restored {} ({:.1} MB, {} ratings) from {repo}",
        report.database.display(),
        report.bytes as f64 / 1e6,
        report.ratings
    );
    if let Some(kept) = &report.kept {
        println!(
            "  the database that was there is kept as {}",
            kept.display()
        );
    }
    println!(
        "  not in a snapshot: sign-in sessions (everyone signs in again) and a Hub token saved \
         on the export page (save it again, or set HF_TOKEN)"
    );
    Ok(())
}

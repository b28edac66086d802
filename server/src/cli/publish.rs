//! `swipeset publish`: an export pushed to a dataset repository on the Hub as one commit
//! (`swipeset_core::hub::dataset`), with a progress bar while the data file uploads.

use std::sync::Arc;

use anyhow::Context;
use clap::Args;
use swipeset_core::hub::dataset::publish_export;
use swipeset_core::hub::{PublishOutcome, PublishStep, RepoId};

use super::export::{ExportChoice, report_labels};
use super::open;
use crate::config::DatabaseArgs;
use crate::hub::HubArgs;

#[derive(Debug, Args)]
pub struct PublishArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The campaign's slug.
    #[arg(long)]
    pub campaign: String,
    /// The dataset repository, OWNER/NAME (made when it does not exist).
    #[arg(long)]
    pub repo: String,
    /// Make a new repository private (an existing one keeps its visibility).
    #[arg(long)]
    pub private: bool,
    #[command(flatten)]
    pub choice: ExportChoice,
    #[command(flatten)]
    pub hub: HubArgs,
}

pub async fn run(args: PublishArgs) -> anyhow::Result<()> {
    let repo: RepoId = args.repo.parse()?;
    let options = args.choice.options()?;
    let client = args.hub.client()?;
    let db = open::database(&args.database).await?;
    let bar = open::progress_bar(
        0,
        "{msg} {bar:30} {bytes}/{total_bytes}  {bytes_per_sec}  eta {eta}",
    );
    let shown = bar.clone();
    let report = Arc::new(move |step: PublishStep| match step {
        PublishStep::Checking => shown.set_message("checking"),
        PublishStep::Uploading { path, sent, total } => {
            shown.set_message(format!("uploading {path}"));
            shown.set_length(total);
            shown.set_position(sent);
        }
        PublishStep::Committing => shown.set_message("committing"),
    });
    let published = publish_export(
        &db,
        &client,
        &args.campaign,
        options,
        &repo,
        args.private,
        Some(report),
    )
    .await
    .with_context(|| format!("publishing campaign `{}` to {repo}", args.campaign))?;
    bar.finish_and_clear();
    let summary = &published.summary;
    match &published.outcome {
        PublishOutcome::Committed {
            commit_url,
            repo_url,
            created,
            changed,
            deleted,
        } => {
            println!(
                "published {} {} rows of campaign `{}` to {repo_url}{}",
                summary.plan.rows,
                summary.options.kind.name(),
                summary.campaign,
                if *created { " (new repository)" } else { "" }
            );
            println!("  commit: {commit_url}");
            println!("  changed: {}", changed.join(", "));
            if !deleted.is_empty() {
                println!("  deleted: {}", deleted.join(", "));
            }
        }
        PublishOutcome::Unchanged { repo_url } => {
            println!("{repo_url} holds this data already: no new commit");
        }
    }
    report_labels(summary);
    println!("  load it with: datasets.load_dataset(\"{repo}\", split=\"train\")");
    Ok(())
}

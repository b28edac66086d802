//! `swipeset export`: a dataset directory from the command line, with a progress bar for
//! large exports and a summary of what was kept and what was dropped.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::Args;
use swipeset_core::export::{
    DEFAULT_MIN_VOTES, DropReason, Export, ExportOptions, Format, Keep, Kind, Policy, Summary,
    Variant,
};

use super::open;
use crate::config::{DatabaseArgs, parse_named};

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The campaign's slug.
    #[arg(long)]
    pub campaign: String,
    #[command(flatten)]
    pub choice: ExportChoice,
    /// The dataset directory to write (data/ and README.md).
    #[arg(long)]
    pub out: PathBuf,
    /// Replace the directory if it already holds something.
    #[arg(long)]
    pub overwrite: bool,
}

/// What to export: the same options for `export` and `publish`.
#[derive(Debug, Args)]
pub struct ExportChoice {
    /// kto: one row per labelled response; dpo: (👍, 👎) pairs per prompt; ratings: one row
    /// per rating.
    #[arg(long, default_value = "kto", value_parser = parse_named::<Kind>)]
    pub kind: Kind,
    /// parquet, jsonl or csv.
    #[arg(long, default_value = "parquet", value_parser = parse_named::<Format>)]
    pub format: Format,
    /// Prompts and responses as chat messages (TRL's conversational format).
    #[arg(long)]
    pub conversational: bool,
    /// How votes become a label: majority (ties dropped), unanimous, or weighted (each
    /// rater's reliability estimated from the votes; adds a `p_up` column to KTO).
    #[arg(long, default_value = "majority")]
    pub policy: String,
    /// Weighted: the posterior P(👍) a label needs (default 0.8; 👎 at 1 minus it).
    #[arg(long)]
    pub threshold: Option<f64>,
    /// Votes a response needs before it gets a label.
    #[arg(long, default_value_t = DEFAULT_MIN_VOTES)]
    pub min_votes: u32,
    /// DPO: keep at most this many pairs per prompt, the most clearly voted first.
    #[arg(long)]
    pub max_pairs_per_prompt: Option<u32>,
    /// Ratings: add the annotators' user names (pseudonymous ids only, otherwise).
    #[arg(long)]
    pub annotator_names: bool,
    /// CSV: put a ' before every text cell that begins with =, +, -, @, a tab or a carriage
    /// return, so a spreadsheet shows it instead of running it as a formula (those cells
    /// then differ from the text as written; the card says so).
    #[arg(long)]
    pub csv_safe: bool,
    /// The dataset card's license (a Hub id such as cc-by-4.0); by default the campaign's.
    #[arg(long)]
    pub license: Option<String>,
    /// The metadata fields of prompts and responses written as columns: all, none, or
    /// names separated by commas.
    #[arg(long, default_value = "all", value_parser = Keep::parse)]
    pub metadata: Keep,
}

impl ExportChoice {
    pub fn options(&self) -> anyhow::Result<ExportOptions> {
        Ok(ExportOptions {
            kind: self.kind,
            variant: if self.conversational {
                Variant::Conversational
            } else {
                Variant::Standard
            },
            format: self.format,
            policy: Policy::parse(&self.policy, self.min_votes, self.threshold)?,
            max_pairs_per_prompt: self.max_pairs_per_prompt,
            annotator_names: self.annotator_names,
            license: self.license.clone(),
            csv_safe: self.csv_safe,
            metadata: self.metadata.clone(),
        })
    }
}

pub async fn run(args: ExportArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let options = args.choice.options()?;
    let db = open::database(&args.database).await?;
    let export = Export::prepare(&db, &args.campaign, options)
        .await
        .with_context(|| format!("exporting campaign `{}`", args.campaign))?;
    let bar = open::progress_bar(
        export.plan().rows,
        "{bar:30} {pos}/{len} rows  {per_sec}  eta {eta}",
    );
    let summary = export
        .write_directory(&args.out, args.overwrite, &mut |rows| {
            bar.set_position(rows)
        })
        .await
        .with_context(|| format!("exporting campaign `{}`", args.campaign))?;
    bar.finish_and_clear();
    report(&summary, &args.out, started.elapsed());
    Ok(())
}

fn report(summary: &Summary, out: &std::path::Path, took: std::time::Duration) {
    println!(
        "wrote {} {} rows of campaign `{}` to {} in {:.1} s",
        summary.plan.rows,
        summary.options.kind.name(),
        summary.campaign,
        out.join(&summary.data_path).display(),
        took.as_secs_f64()
    );
    println!("  dataset card: {}", out.join("README.md").display());
    report_labels(summary);
}

/// What the label policy kept and dropped.
pub fn report_labels(summary: &Summary) {
    let plan = &summary.plan;
    let options = &summary.options;
    if options.kind == Kind::Ratings {
        return;
    }
    println!(
        "  policy {}: {} of {} responses labelled",
        options.policy, plan.labelled, plan.responses
    );
    for reason in DropReason::ALL {
        if let Some(n) = plan.dropped.get(&reason).filter(|n| **n > 0) {
            println!("  dropped, {}: {n}", reason.describe());
        }
    }
    if options.kind == Kind::Dpo {
        println!(
            "  {} prompts gave pairs; {} had labels of one kind only; {} pairs over the cap",
            plan.prompts_with_pairs, plan.prompts_one_sided, plan.pairs_over_cap
        );
    }
}

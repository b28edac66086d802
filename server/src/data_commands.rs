//! `swipeset campaign …` and `swipeset import …`: getting a campaign and its data in from
//! the command line, with a summary of what was added and what was already there.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use swipeset_core::campaign::{self, NewCampaign};
use swipeset_core::import::{
    self, DEFAULT_MAX_FILE_BYTES, FileFormat, GenerationFields, ImportSummary, PromptFields, Source,
};

use crate::config::{DatabaseArgs, parse_named};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Short name used in URLs and commands (letters, digits, dashes).
        slug: String,
        /// The title people see.
        #[arg(long)]
        title: String,
        /// Independent ratings each response collects.
        #[arg(long, default_value_t = 3)]
        overlap: i32,
        /// Show the model's name after each swipe (blind otherwise).
        #[arg(long)]
        reveal_models: bool,
        /// A text file with the guidelines annotators see first.
        #[arg(long)]
        guidelines: Option<PathBuf>,
        /// The license of its exported datasets, as a Hub id (cc-by-4.0, apache-2.0, …).
        #[arg(long, default_value = "other")]
        license: String,
        /// Let anyone see its leaderboard without signing in.
        #[arg(long)]
        public_board: bool,
        /// The system prompt of prompts that have none of their own (used by `generate`,
        /// shown on cards, exported in the conversational variant).
        #[arg(long)]
        system_prompt: Option<String>,
    },
    /// Change a campaign's settings; what is not given stays as it is.
    Edit {
        #[command(flatten)]
        database: DatabaseArgs,
        slug: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        overlap: Option<i32>,
        /// `true` to show the model's name after each swipe, `false` for blind rating.
        #[arg(long)]
        reveal_models: Option<bool>,
        /// A text file with new guidelines (markdown).
        #[arg(long)]
        guidelines: Option<PathBuf>,
        #[arg(long)]
        license: Option<String>,
        #[arg(long)]
        public_board: Option<bool>,
        /// `false` closes the campaign for rating (its data stays); `true` opens it again.
        #[arg(long)]
        open: Option<bool>,
        /// A new system prompt; an empty string removes it.
        #[arg(long)]
        system_prompt: Option<String>,
    },
    /// List campaigns with their counts.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Prompts from JSONL (`prompt` field or a `messages` list), CSV, Parquet or text.
    Prompts {
        #[command(flatten)]
        file: FileArgs,
        /// The field or column holding the prompt.
        #[arg(long, default_value = "prompt")]
        field: String,
        /// The field or column holding an optional system prompt.
        #[arg(long, default_value = "system_prompt")]
        system_field: String,
    },
    /// Responses made elsewhere: rows of prompt, completion and model (JSONL, CSV,
    /// Parquet). distilabel's `instruction`, `generation`, `model_name` work as they are.
    Generations {
        #[command(flatten)]
        file: FileArgs,
        /// The prompt's field (default: `prompt`, else `instruction`).
        #[arg(long)]
        prompt_field: Option<String>,
        /// The response's field (default: `completion`, else `generation` or `response`).
        #[arg(long)]
        completion_field: Option<String>,
        /// The model's field (default: `model`, else `model_name`).
        #[arg(long)]
        model_field: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct FileArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The campaign's slug.
    #[arg(long)]
    pub campaign: String,
    /// The file to import.
    pub file: PathBuf,
    /// jsonl, csv, parquet or text; by default from the file's extension.
    #[arg(long, value_parser = parse_named::<FileFormat>)]
    pub format: Option<FileFormat>,
    /// Refuse files larger than this many bytes.
    #[arg(long, default_value_t = DEFAULT_MAX_FILE_BYTES)]
    pub max_file_bytes: u64,
}

impl FileArgs {
    fn source(&self) -> Source {
        Source {
            path: self.file.clone(),
            format: self.format,
            max_file_bytes: self.max_file_bytes,
        }
    }
}

/// The text of a guidelines file, if one is named.
fn read_guidelines(path: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    path.map(|path| {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the guidelines from {}", path.display()))
    })
    .transpose()
}

pub async fn campaign(command: CampaignCommand) -> anyhow::Result<()> {
    match command {
        CampaignCommand::Create {
            database,
            slug,
            title,
            overlap,
            reveal_models,
            guidelines,
            license,
            public_board,
            system_prompt,
        } => {
            let guidelines = read_guidelines(guidelines.as_deref())?.unwrap_or_default();
            let db = swipeset_core::db::connect(&database.database_url).await?;
            let created = campaigns::create(
                &db,
                NewCampaign {
                    slug,
                    title,
                    guidelines,
                    overlap,
                    reveal_models,
                    license,
                    public_board,
                    open: true,
                    system_prompt,
                },
            )
            .await
            .context("creating the campaign")?;
            println!(
                "created campaign `{}` ({}), overlap {}",
                created.slug, created.title, created.overlap
            );
            Ok(())
        }
        CampaignCommand::Edit {
            database,
            slug,
            title,
            overlap,
            reveal_models,
            guidelines,
            license,
            public_board,
            open,
            system_prompt,
        } => {
            let guidelines = read_guidelines(guidelines.as_deref())?;
            let db = swipeset_core::db::connect(&database.database_url).await?;
            let c = campaigns::resolve(&db, Some(&slug))
                .await?
                .with_context(|| format!("no campaign `{slug}`"))?;
            let settings = NewCampaign {
                slug: c.slug.clone(),
                title: title.unwrap_or(c.title),
                guidelines: guidelines.unwrap_or(c.guidelines),
                overlap: overlap.unwrap_or(c.overlap),
                reveal_models: reveal_models.unwrap_or(c.reveal_models),
                license: license.unwrap_or(c.license),
                public_board: public_board.unwrap_or(c.public_board),
                open: open.unwrap_or(c.open),
                system_prompt: system_prompt.or(c.system_prompt),
            };
            let saved = campaigns::update(&db, &slug, settings)
                .await
                .context("nothing was changed")?;
            println!(
                "campaign `{}` ({}): overlap {}, {}, board {}",
                saved.slug,
                saved.title,
                saved.overlap,
                if saved.open { "open" } else { "closed" },
                if saved.public_board {
                    "public"
                } else {
                    "for signed-in users"
                }
            );
            Ok(())
        }
        CampaignCommand::List { database } => {
            let db = swipeset_core::db::connect(&database.database_url).await?;
            let all = campaigns::list(&db).await?;
            if all.is_empty() {
                println!("no campaigns yet: `swipeset campaign create SLUG --title TITLE`");
            }
            for c in all {
                let progress = campaigns::progress(&db, &c, None).await?;
                println!(
                    "{:<24} {:<32} {:>7} responses  {:>8} of {} ratings",
                    c.slug, c.title, progress.generations, progress.ratings, progress.target
                );
            }
            Ok(())
        }
    }
}

pub async fn import(command: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    let (what, file, summary) = match command {
        ImportCommand::Prompts {
            file,
            field,
            system_field,
        } => {
            let db = swipeset_core::db::connect(&file.database.database_url).await?;
            let fields = PromptFields {
                prompt: field,
                system: system_field,
            };
            let summary = import::import_prompts(&db, &file.campaign, &file.source(), &fields)
                .await
                .context("nothing was imported")?;
            ("prompts", file, summary)
        }
        ImportCommand::Generations {
            file,
            prompt_field,
            completion_field,
            model_field,
        } => {
            let db = swipeset_core::db::connect(&file.database.database_url).await?;
            let mut fields = GenerationFields::default();
            if let Some(f) = prompt_field {
                fields.prompt = vec![f];
            }
            if let Some(f) = completion_field {
                fields.completion = vec![f];
            }
            if let Some(f) = model_field {
                fields.model = vec![f];
            }
            let summary = import::import_generations(&db, &file.campaign, &file.source(), &fields)
                .await
                .context("nothing was imported")?;
            ("responses", file, summary)
        }
    };
    report(what, &file, &summary, started.elapsed());
    Ok(())
}

fn report(what: &str, file: &FileArgs, s: &ImportSummary, took: std::time::Duration) {
    println!(
        "{}: {} records, {} {what} added, {} already there, in {:.1} s",
        file.file.display(),
        s.records,
        s.added,
        s.duplicates,
        took.as_secs_f64()
    );
    if s.prompts_added > 0 {
        let plural = if s.prompts_added == 1 { "" } else { "s" };
        println!("  {} new prompt{plural} created for them", s.prompts_added);
    }
    if s.added == 0 && s.records > 0 {
        println!("  nothing new: campaign `{}` had all of it", file.campaign);
    }
}

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

pub async fn generate(args: GenerateArgs) -> anyhow::Result<()> {
    use indicatif::{ProgressBar, ProgressStyle};
    use std::sync::atomic::{AtomicU64, Ordering};
    use swipeset_core::generate::{self, GenerateOptions, ModelsFile, Progress};

    let models = ModelsFile::load(&args.models)?;
    let db = swipeset_core::db::connect(&args.database.database_url).await?;
    let store = swipeset_core::Store::new(db);
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len}  {per_sec}  eta {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let failures = AtomicU64::new(0);
    let started = Instant::now();
    let options = GenerateOptions {
        retry_failed: args.retry_failed,
        ..GenerateOptions::default()
    };
    let on_progress = |event: Progress| match event {
        Progress::Planned { total } => bar.set_length(total),
        Progress::Finished { ok } => {
            if !ok {
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

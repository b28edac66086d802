//! `swipeset import …`: getting a campaign's data in from the command line, all or nothing,
//! with a summary of what was added and what was already there.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use swipeset_core::import::{
    self, DEFAULT_MAX_FILE_BYTES, FileFormat, ImportSummary, Keep, PromptFields, ResponseFields,
    Source,
};

use super::open;
use crate::config::{DatabaseArgs, parse_named};

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Prompts from JSONL, CSV, Parquet or text. A prompt is a text, or a conversation: a
    /// list of {role, content} messages (JSONL, Parquet) ending with the user's turn, in the
    /// prompt field or in `messages`. The other fields are kept as the prompt's metadata.
    Prompts {
        #[command(flatten)]
        file: FileArgs,
        /// The field or column holding the prompt.
        #[arg(long, default_value = "prompt")]
        field: String,
        /// The field or column holding an optional system prompt.
        #[arg(long, default_value = "system_prompt")]
        system_field: String,
        /// The other fields kept as metadata: all, none, or names separated by commas.
        #[arg(long, default_value = "all", value_parser = Keep::parse)]
        metadata_fields: Keep,
    },
    /// Responses made elsewhere: rows of prompt, completion and model (JSONL, CSV,
    /// Parquet). distilabel's `instruction`, `generation`, `model_name` work as they are.
    /// `import generations` is the older name, still accepted.
    #[command(alias = "generations")]
    Responses {
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
        /// The other fields kept as the response's metadata (distilabel's
        /// `generation_params`): all, none, or names separated by commas.
        #[arg(long, default_value = "all", value_parser = Keep::parse)]
        metadata_fields: Keep,
        /// Fields kept as the prompt's metadata instead (a `topic`, a `language`), separated
        /// by commas; a prompt keeps those of the first row that names it.
        #[arg(long, value_delimiter = ',')]
        prompt_metadata_fields: Vec<String>,
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

pub async fn run(command: ImportCommand) -> anyhow::Result<()> {
    let started = Instant::now();
    let (what, file, summary) = match command {
        ImportCommand::Prompts {
            file,
            field,
            system_field,
            metadata_fields,
        } => {
            let db = open::database(&file.database).await?;
            let fields = PromptFields {
                prompt: field,
                system: system_field,
                metadata: metadata_fields,
            };
            let summary = import::import_prompts(&db, &file.campaign, &file.source(), &fields)
                .await
                .context("nothing was imported")?;
            ("prompts", file, summary)
        }
        ImportCommand::Responses {
            file,
            prompt_field,
            completion_field,
            model_field,
            metadata_fields,
            prompt_metadata_fields,
        } => {
            let db = open::database(&file.database).await?;
            let mut fields = ResponseFields {
                metadata: metadata_fields,
                prompt_metadata: prompt_metadata_fields,
                ..ResponseFields::default()
            };
            if let Some(f) = prompt_field {
                fields.prompt = vec![f];
            }
            if let Some(f) = completion_field {
                fields.completion = vec![f];
            }
            if let Some(f) = model_field {
                fields.model = vec![f];
            }
            let summary = import::import_responses(&db, &file.campaign, &file.source(), &fields)
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

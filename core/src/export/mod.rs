//! Export: the ratings as datasets that Hugging Face `datasets` and TRL's trainers load as
//! they are. Three kinds (KTO rows, DPO pairs, raw ratings), two variants (plain text or
//! chat messages), three formats (Parquet, JSONL, CSV), laid out as a Hub dataset
//! repository: `data/train-00000-of-00001.<ext>` and a `README.md` dataset card.
//!
//! An export reads everything inside one read transaction, so its rows, its counts and its
//! card describe one moment of the campaign even while ratings keep coming. It writes a
//! page of rows at a time through an [`Encoder`](encode::Encoder) into a [`ByteSink`],
//! so a file, an HTTP download and a zip archive all stream with flat memory. The CLI and
//! the HTTP API call the same functions.

mod card;
pub(crate) mod encode;
pub mod policy;
mod request;
mod sink;
mod source;
mod table;
pub mod weighted;

#[cfg(test)]
mod tests;

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use swipeset_wire::{CampaignChoice, DroppedLine, ExportPlanReply};

use sea_orm::{
    AccessMode, ColumnTrait, ConnectionTrait, DatabaseBackend, DatabaseConnection,
    DatabaseTransaction, EntityTrait, IsolationLevel, QueryFilter, TransactionTrait,
};
use serde::Serialize;

pub use crate::accounts::pseudonyms::{annotator_id, instance_secret};
pub use crate::import::Keep;
pub use policy::{DEFAULT_MIN_VOTES, DEFAULT_THRESHOLD, DropReason, Policy};
pub use request::ExportRequest;
pub use sink::{ByteSink, ChannelSink, FileSink, SharedBuf};
pub use source::Plan;
pub use table::{Column, ColumnType, Meta};

use crate::CoreError;
use crate::db::entities::{campaign, model, model_stat};

/// What rows an export holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// One row per labelled response: `prompt`, `completion`, `label`.
    Kto,
    /// One row per (👍, 👎) pair of responses to a prompt: `prompt`, `chosen`, `rejected`.
    Dpo,
    /// One row per rating.
    Ratings,
}

/// How prompts and responses are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Variant {
    /// Plain strings.
    #[default]
    Standard,
    /// Lists of `{role, content}` messages, TRL's conversational format.
    Conversational,
}

/// The file format of the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    #[default]
    Parquet,
    Jsonl,
    Csv,
}

crate::named::named_values!(Kind, "kind", { Kto => "kto", Dpo => "dpo", Ratings => "ratings" });
crate::named::named_values!(Variant, "variant", { Standard => "standard", Conversational => "conversational" });
crate::named::named_values!(Format, "format", { Parquet => "parquet", Jsonl => "jsonl", Csv => "csv" });

impl Format {
    pub fn extension(self) -> &'static str {
        self.name()
    }

    /// The media type of a download in this format.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Parquet => "application/vnd.apache.parquet",
            Format::Jsonl => "application/jsonl; charset=utf-8",
            Format::Csv => "text/csv; charset=utf-8",
        }
    }
}

/// Everything an export can be asked for.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExportOptions {
    pub kind: Kind,
    pub variant: Variant,
    pub format: Format,
    pub policy: Policy,
    /// DPO only: keep at most this many pairs per prompt (the clearest first).
    pub max_pairs_per_prompt: Option<u32>,
    /// Ratings only: add the annotators' user names. Off unless asked for.
    pub annotator_names: bool,
    /// The card's license; by default the campaign's.
    pub license: Option<String>,
    /// CSV only: put a `'` before every text cell that a spreadsheet would take for a
    /// formula (one that begins with `=`, `+`, `-`, `@`, a tab or a carriage return). Off
    /// by default, so the data stays the text as written.
    pub csv_safe: bool,
    /// Which metadata fields of prompts and responses become columns: all of them by
    /// default.
    pub metadata: Keep,
}

impl ExportOptions {
    pub fn new(kind: Kind) -> Self {
        Self {
            kind,
            variant: Variant::default(),
            format: Format::default(),
            policy: Policy::default(),
            max_pairs_per_prompt: None,
            annotator_names: false,
            license: None,
            csv_safe: false,
            metadata: Keep::All,
        }
    }

    /// Refuses combinations that cannot be written, before anything is read or written.
    pub fn validate(&self) -> Result<(), ExportError> {
        if self.format == Format::Csv && self.variant == Variant::Conversational {
            return Err(ExportError::Unsupported(
                "CSV has no nested columns for the conversational variant's message lists; \
                 use parquet or jsonl"
                    .into(),
            ));
        }
        if self.max_pairs_per_prompt == Some(0) {
            return Err(CoreError::invalid("max_pairs_per_prompt", "must be at least 1").into());
        }
        if self.max_pairs_per_prompt.is_some() && self.kind != Kind::Dpo {
            return Err(
                CoreError::invalid("max_pairs_per_prompt", "applies to the dpo kind only").into(),
            );
        }
        if self.csv_safe && self.format != Format::Csv {
            return Err(CoreError::invalid("csv_safe", "applies to the csv format only").into());
        }
        if self.annotator_names && self.kind != Kind::Ratings {
            return Err(
                CoreError::invalid("annotator_names", "applies to the ratings kind only").into(),
            );
        }
        if let Some(license) = &self.license {
            crate::campaign::check_license(license)?;
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The export would have no rows; says why, so the organiser knows what is missing.
    #[error("nothing to export: {0}")]
    Empty(String),
    /// The options ask for something the format cannot hold.
    #[error("{0}")]
    Unsupported(String),
    /// The output path cannot be used; nothing was written.
    #[error("cannot write {}: {reason}", path.display())]
    Output { path: PathBuf, reason: String },
    /// Writing the data failed part-way (disk full, client gone).
    #[error("writing the export failed: {0}")]
    Write(#[source] io::Error),
    #[error("encoding the export failed: {0}")]
    Encode(String),
}

impl ExportError {
    fn output(path: &Path, error: impl std::fmt::Display) -> Self {
        ExportError::Output {
            path: path.to_path_buf(),
            reason: error.to_string(),
        }
    }
}

/// What an export wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    pub campaign: String,
    pub options: ExportOptions,
    pub plan: Plan,
    /// Where the data is, relative to the export directory.
    pub data_path: String,
}

/// An export that has been planned and can be written: the campaign exists and it has
/// rows. Holds the read transaction that the rows will come from.
pub struct Export {
    txn: DatabaseTransaction,
    campaign: campaign::Model,
    options: ExportOptions,
    plan: Plan,
    /// How labels are decided; under `weighted`, with the campaign's fit.
    labeller: source::Labeller,
    models: Vec<model::Model>,
    license: String,
    /// The metadata columns: keys of prompts' metadata, then of responses'.
    metadata: (Vec<String>, Vec<String>),
}

/// The metadata keys `choice` keeps of those the campaign has; an error naming a key that
/// no prompt or response has.
fn chosen_metadata(
    choice: &Keep,
    (prompt_keys, response_keys): (Vec<String>, Vec<String>),
) -> Result<(Vec<String>, Vec<String>), ExportError> {
    match choice {
        Keep::All => Ok((prompt_keys, response_keys)),
        Keep::Nothing => Ok((Vec::new(), Vec::new())),
        Keep::Named(names) => {
            if let Some(missing) = names
                .iter()
                .find(|n| !prompt_keys.contains(n) && !response_keys.contains(n))
            {
                let known: Vec<String> = prompt_keys
                    .iter()
                    .chain(&response_keys)
                    .map(|k| format!("`{k}`"))
                    .collect();
                return Err(CoreError::invalid(
                    "metadata",
                    if known.is_empty() {
                        format!("no prompt or response has a field `{missing}`: this campaign has no metadata")
                    } else {
                        format!(
                            "no prompt or response has a field `{missing}`; the fields are {}",
                            known.join(", ")
                        )
                    },
                )
                .into());
            }
            let keep = |keys: Vec<String>| keys.into_iter().filter(|k| names.contains(k)).collect();
            Ok((keep(prompt_keys), keep(response_keys)))
        }
    }
}

impl Export {
    /// Opens the snapshot, finds the campaign and plans the export. Fails, before any byte
    /// is written, on bad options, an unknown campaign or an export without rows.
    pub async fn prepare(
        db: &DatabaseConnection,
        campaign_slug: &str,
        options: ExportOptions,
    ) -> Result<Self, ExportError> {
        options.validate()?;
        let txn = match db.get_database_backend() {
            // One snapshot for the plan, the rows and the card.
            DatabaseBackend::Postgres => {
                db.begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await
            }
            // SQLite (WAL): a read transaction sees one snapshot from its first read on,
            // without blocking the writer.
            _ => db.begin().await,
        }
        .map_err(CoreError::from)?;
        let campaign = crate::campaign::get(&txn, campaign_slug).await?;
        // Under `weighted`, the raters' reliability is fitted first, on the same snapshot.
        let posteriors = match options.policy {
            policy if policy.is_weighted() && options.kind != Kind::Ratings => {
                Some(std::sync::Arc::new(weighted::fit(&txn, campaign.id).await?))
            }
            _ => None,
        };
        if options.variant == Variant::Standard {
            let conversations = source::conversations(&txn, campaign.id).await?;
            if conversations > 0 {
                return Err(ExportError::Unsupported(format!(
                    "{conversations} of the prompts of `{}` are conversations, and the standard \
                     variant writes a prompt as one string: export the conversational variant \
                     (`--conversational`, or `variant=conversational` over HTTP), whose \
                     `prompt` is the whole conversation as TRL reads it",
                    campaign.slug
                )));
            }
        }
        let metadata = chosen_metadata(
            &options.metadata,
            source::metadata_keys(&txn, campaign.id).await?,
        )?;
        let labeller = source::Labeller::new(options.policy, posteriors);
        let plan = source::plan(&txn, &campaign, &options, &labeller).await?;
        if plan.rows == 0 {
            return Err(ExportError::Empty(why_empty(&campaign, &options, &plan)));
        }
        let stats = model_stat::Entity::find()
            .filter(model_stat::Column::CampaignId.eq(campaign.id))
            .find_also_related(model::Entity)
            .all(&txn)
            .await
            .map_err(CoreError::from)?;
        // A model has a row per shard of its counters: once each.
        let models = crate::board::shards::models_with(stats)
            .into_iter()
            .filter_map(|(_, m)| m)
            .collect();
        let license = options
            .license
            .clone()
            .unwrap_or_else(|| campaign.license.clone());
        Ok(Self {
            txn,
            campaign,
            options,
            plan,
            labeller,
            models,
            license,
            metadata,
        })
    }

    pub fn plan(&self) -> &Plan {
        &self.plan
    }

    pub fn options(&self) -> &ExportOptions {
        &self.options
    }

    pub fn campaign(&self) -> &campaign::Model {
        &self.campaign
    }

    /// The data file's path inside the dataset directory, as the Hub lays it out.
    pub fn data_path(&self) -> String {
        format!(
            "data/train-00000-of-00001.{}",
            self.options.format.extension()
        )
    }

    /// A file name for a download of this export.
    pub fn download_name(&self, archive: bool) -> String {
        let variant = match self.options.variant {
            Variant::Standard => "",
            Variant::Conversational => "-conversational",
        };
        let extension = if archive {
            "zip"
        } else {
            self.options.format.extension()
        };
        format!(
            "{}-{}{variant}.{extension}",
            self.campaign.slug,
            self.options.kind.name()
        )
    }

    fn columns(&self) -> Vec<Column> {
        let mut columns = table::columns(
            self.options.kind,
            self.options.variant,
            self.options.annotator_names,
            self.labeller.fit().is_some() && self.options.kind == Kind::Kto,
        );
        let (prompt_keys, response_keys) = &self.metadata;
        table::add_metadata(&mut columns, self.options.kind, prompt_keys, response_keys);
        columns
    }

    /// Encodes every row into `out`, moving what is encoded from `buffer` (which `out`
    /// writes into) to `sink` after each page. `progress` hears the rows written so far.
    async fn write_rows<W: Write + Send, S: ByteSink>(
        &self,
        out: W,
        buffer: &SharedBuf,
        sink: &mut S,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<W, ExportError> {
        let columns = self.columns();
        let meta = columns.iter().filter_map(|c| c.meta.clone()).collect();
        let mut encoder =
            encode::Encoder::new(self.options.format, self.options.csv_safe, columns, out)?;
        buffer.drain_into(sink).await?;
        let models: HashMap<i32, String> =
            self.models.iter().map(|m| (m.id, m.name.clone())).collect();
        let secret = instance_secret(&self.txn).await?;
        let mut scan = source::Scan::new(
            self.options.clone(),
            self.labeller.clone(),
            secret,
            self.campaign.clone(),
            models,
            meta,
        );
        let mut written = 0u64;
        while let Some(rows) = scan.next_page(&self.txn).await? {
            encoder.write(&rows)?;
            if written == 0 && !rows.is_empty() {
                encoder.cut_row_group()?;
            }
            encoder.flush()?;
            written += rows.len() as u64;
            progress(written);
            buffer.drain_into(sink).await?;
        }
        if written != self.plan.rows {
            // Cannot happen inside one snapshot; if it ever does, no file is better than
            // one whose card disagrees with its rows.
            return Err(ExportError::Encode(format!(
                "planned {} rows but read {written}",
                self.plan.rows
            )));
        }
        let mut out = encoder.finish()?;
        out.flush().map_err(ExportError::Write)?;
        buffer.drain_into(sink).await?;
        Ok(out)
    }

    /// The dataset card for this export.
    pub async fn card(&self) -> Result<String, ExportError> {
        let data_path = self.data_path();
        let columns = self.columns();
        Ok(card::render(
            &self.txn,
            card::CardInput {
                campaign: &self.campaign,
                options: &self.options,
                plan: &self.plan,
                fit: self.labeller.fit(),
                models: &self.models,
                columns: &columns,
                data_path: &data_path,
                license: &self.license,
                now: chrono::Utc::now(),
            },
        )
        .await?)
    }

    fn summary(&self) -> Summary {
        Summary {
            campaign: self.campaign.slug.clone(),
            options: self.options.clone(),
            plan: self.plan.clone(),
            data_path: self.data_path(),
        }
    }

    /// Streams the data file alone to `sink`.
    pub async fn stream_data<S: ByteSink>(self, sink: &mut S) -> Result<Summary, ExportError> {
        let buffer = SharedBuf::default();
        self.write_rows(buffer.clone(), &buffer, sink, &mut |_| {})
            .await?;
        Ok(self.summary())
    }

    /// Streams a zip of the whole dataset directory (data file and card) to `sink`. The
    /// archive is written front to back, so it streams; the data is stored as it is
    /// (Parquet is compressed already).
    pub async fn stream_zip<S: ByteSink>(self, sink: &mut S) -> Result<Summary, ExportError> {
        let buffer = SharedBuf::default();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored)
            .large_file(true);
        let mut archive = zip::ZipWriter::new_stream(buffer.clone());
        archive
            .start_file(self.data_path(), options)
            .map_err(zip_error)?;
        let mut archive = self.write_rows(archive, &buffer, sink, &mut |_| {}).await?;
        let card = self.card().await?;
        archive
            .start_file("README.md", options)
            .map_err(zip_error)?;
        archive
            .write_all(card.as_bytes())
            .map_err(ExportError::Write)?;
        archive.finish().map_err(zip_error)?;
        buffer.drain_into(sink).await?;
        Ok(self.summary())
    }

    /// Writes the dataset directory at `out`: everything goes into a hidden sibling
    /// directory first and is renamed into place at the end, so a failure leaves no partial
    /// export. An existing non-empty `out` is replaced only when `overwrite` is set.
    pub async fn write_directory(
        self,
        out: &Path,
        overwrite: bool,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Summary, ExportError> {
        let staging = staging_dir(out, overwrite)?;
        let result = self.fill_directory(&staging, progress).await;
        let finished = result.and_then(|summary| {
            move_into_place(&staging, out)?;
            Ok(summary)
        });
        if finished.is_err() {
            // Best effort: the staging directory is hidden and named as swipeset's.
            let _ = std::fs::remove_dir_all(&staging);
        }
        finished
    }

    async fn fill_directory(
        &self,
        staging: &Path,
        progress: &mut (dyn FnMut(u64) + Send),
    ) -> Result<Summary, ExportError> {
        let data = staging.join(self.data_path());
        if let Some(parent) = data.parent() {
            std::fs::create_dir_all(parent).map_err(|e| ExportError::output(parent, e))?;
        }
        let mut sink = FileSink::create(&data).await?;
        let buffer = SharedBuf::default();
        self.write_rows(buffer.clone(), &buffer, &mut sink, progress)
            .await?;
        sink.sync().await?;
        let card_path = staging.join("README.md");
        std::fs::write(&card_path, self.card().await?)
            .map_err(|e| ExportError::output(&card_path, e))?;
        Ok(self.summary())
    }
}

fn zip_error(error: zip::result::ZipError) -> ExportError {
    ExportError::Encode(format!("zip: {error}"))
}

fn why_empty(campaign: &campaign::Model, options: &ExportOptions, plan: &Plan) -> String {
    let slug = &campaign.slug;
    match options.kind {
        Kind::Ratings => format!("campaign `{slug}` has no ratings yet"),
        Kind::Kto | Kind::Dpo => {
            let dropped: Vec<String> = DropReason::ALL
                .iter()
                .filter_map(|r| {
                    plan.dropped
                        .get(r)
                        .filter(|n| **n > 0)
                        .map(|n| format!("{n} with {}", r.describe()))
                })
                .collect();
            let mut why = format!(
                "campaign `{slug}` has no response with a label under the {} policy (min_votes {}) \
                 among its {} responses",
                options.policy.name(),
                options.policy.min_votes(),
                plan.responses
            );
            if !dropped.is_empty() {
                why.push_str(&format!(": {}", dropped.join(", ")));
            }
            if options.kind == Kind::Dpo && plan.labelled > 0 {
                why = format!(
                    "campaign `{slug}` has no prompt with both a 👍 and a 👎 labelled response \
                     ({} labelled responses, {} prompts with labels of one kind only)",
                    plan.labelled, plan.prompts_one_sided
                );
            }
            why
        }
    }
}

/// Makes the hidden staging directory beside `out`, after checking that `out` may be
/// written.
fn staging_dir(out: &Path, overwrite: bool) -> Result<PathBuf, ExportError> {
    let name = out
        .file_name()
        .ok_or_else(|| ExportError::output(out, "the path has no final directory name"))?;
    if out.exists() {
        if !out.is_dir() {
            return Err(ExportError::output(
                out,
                "it is a file; an export is a directory (data/ and README.md)",
            ));
        }
        let empty = std::fs::read_dir(out)
            .map_err(|e| ExportError::output(out, e))?
            .next()
            .is_none();
        if !empty && !overwrite {
            return Err(ExportError::output(
                out,
                "the directory exists and is not empty; pass --overwrite to replace it",
            ));
        }
    }
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(|e| ExportError::output(out, e))?;
    let staging = parent.join(format!(
        ".{}.swipeset-partial-{}",
        name.to_string_lossy(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::create_dir(&staging).map_err(|e| ExportError::output(out, e))?;
    Ok(staging)
}

/// Renames the finished staging directory to `out`, replacing what was there.
fn move_into_place(staging: &Path, out: &Path) -> Result<(), ExportError> {
    if out.exists() {
        let old = staging.with_extension("old");
        std::fs::rename(out, &old).map_err(|e| ExportError::output(out, e))?;
        std::fs::rename(staging, out).map_err(|e| ExportError::output(out, e))?;
        std::fs::remove_dir_all(&old).map_err(|e| ExportError::output(&old, e))?;
    } else {
        std::fs::rename(staging, out).map_err(|e| ExportError::output(out, e))?;
    }
    Ok(())
}

/// The export page's preview of a planned export (or of why there is none): what the
/// chosen options would hold, and the campaigns to choose from.
pub fn preview(
    chosen: &campaign::Model,
    choices: &[campaign::Model],
    export: Option<&Export>,
    problem: Option<String>,
) -> ExportPlanReply {
    let plan = export.map(|e| e.plan().clone()).unwrap_or_default();
    ExportPlanReply {
        campaign: chosen.slug.clone(),
        title: chosen.title.clone(),
        campaigns: choices
            .iter()
            .map(|c| CampaignChoice {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
            .collect(),
        rows: plan.rows,
        responses: plan.responses,
        labelled: plan.labelled,
        dropped: plan
            .dropped
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(reason, n)| DroppedLine {
                reason: reason.describe().to_string(),
                count: *n,
            })
            .collect(),
        prompts_with_pairs: plan.prompts_with_pairs,
        prompts_one_sided: plan.prompts_one_sided,
        pairs_over_cap: plan.pairs_over_cap,
        file_name: export.map(|e| e.download_name(false)).unwrap_or_default(),
        zip_name: export.map(|e| e.download_name(true)).unwrap_or_default(),
        problem,
    }
}

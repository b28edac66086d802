//! Import: prompts, and responses made elsewhere, from JSON Lines, CSV, Parquet or plain
//! text. An import is all or nothing: it runs in one transaction, and any bad record (broken
//! JSON, a missing column, an empty prompt, a byte that is not UTF-8) stops it with an error
//! naming the file, the line or row, the field and what was expected, and changes nothing.
//! Prompts are deduplicated by their normalised text (`crate::campaign::prompts::content_hash`), and
//! responses by (prompt, model, text), so importing a file twice adds nothing the second
//! time, and says so.

#[cfg(feature = "fuzzing")]
pub mod fuzz;
mod parquet_pages;
mod read;

#[cfg(test)]
mod tests;

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter,
    TransactionTrait,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use read::{Location, MAX_RECORD_BYTES};
use read::{Records, Value};

use crate::CoreError;
use crate::campaign::models;
use crate::campaign::prompts;
use crate::campaign::responses::{self, NewResponse};
use crate::db::entities::{generation, prompt};

/// Files larger than this are refused unless the caller sets another limit.
pub const DEFAULT_MAX_FILE_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Rows written per statement.
const BATCH: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Jsonl,
    Csv,
    Parquet,
    /// One record per line; blank lines are skipped.
    Text,
}

impl FileFormat {
    /// The format a file's extension names, if any.
    pub fn of_path(path: &Path) -> Option<Self> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "jsonl" | "ndjson" => Some(FileFormat::Jsonl),
            "csv" => Some(FileFormat::Csv),
            "parquet" => Some(FileFormat::Parquet),
            "txt" | "text" => Some(FileFormat::Text),
            _ => None,
        }
    }
}

crate::named::named_values!(FileFormat, "format", {
    Jsonl => "jsonl",
    Csv => "csv",
    Parquet => "parquet",
    Text => "text",
});

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// A record (or the file) is not what an import expects. Nothing was written.
    #[error("{}{}: {reason}", file.display(), at.map(|a| format!(": {a}")).unwrap_or_default())]
    Input {
        file: PathBuf,
        at: Option<Location>,
        reason: String,
    },
    #[error(transparent)]
    Core(#[from] CoreError),
}

impl ImportError {
    fn file(path: &Path, reason: impl Into<String>) -> Self {
        ImportError::Input {
            file: path.to_path_buf(),
            at: None,
            reason: reason.into(),
        }
    }

    fn at(path: &Path, at: Location, reason: impl Into<String>) -> Self {
        ImportError::Input {
            file: path.to_path_buf(),
            at: Some(at),
            reason: reason.into(),
        }
    }
}

impl From<DbErr> for ImportError {
    fn from(e: DbErr) -> Self {
        ImportError::Core(e.into())
    }
}

/// Which file and how to read it.
#[derive(Debug, Clone)]
pub struct Source {
    pub path: PathBuf,
    /// By default, from the file's extension.
    pub format: Option<FileFormat>,
    pub max_file_bytes: u64,
}

impl Source {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            format: None,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
        }
    }

    /// The format to read with, after checking that the file exists and is within the limit.
    fn check(&self) -> Result<FileFormat, ImportError> {
        let meta = std::fs::metadata(&self.path)
            .map_err(|e| ImportError::file(&self.path, e.to_string()))?;
        if meta.len() > self.max_file_bytes {
            return Err(ImportError::file(
                &self.path,
                format!(
                    "{} bytes, over the limit of {} bytes",
                    meta.len(),
                    self.max_file_bytes
                ),
            ));
        }
        self.format
            .or_else(|| FileFormat::of_path(&self.path))
            .ok_or_else(|| {
                ImportError::file(
                    &self.path,
                    "cannot tell the format from the file name: name it with --format \
                     (jsonl, csv, parquet or text)",
                )
            })
    }
}

/// Field names to read prompts from.
#[derive(Debug, Clone)]
pub struct PromptFields {
    /// The prompt's text (default `prompt`). In JSONL, a `messages` list is taken when this
    /// field is absent.
    pub prompt: String,
    /// An optional system prompt (default `system_prompt`); absent is fine.
    pub system: String,
}

impl Default for PromptFields {
    fn default() -> Self {
        Self {
            prompt: "prompt".into(),
            system: "system_prompt".into(),
        }
    }
}

/// Field names to read responses from. Each has fallbacks, so the output of a distilabel
/// text-generation pipeline (`instruction`, `generation`, `model_name`) imports as it is.
#[derive(Debug, Clone)]
pub struct ResponseFields {
    pub prompt: Vec<String>,
    pub completion: Vec<String>,
    pub model: Vec<String>,
    pub system: String,
    /// A gold card's expected label (`crate::rating::gold`).
    pub gold: String,
}

impl Default for ResponseFields {
    fn default() -> Self {
        let names = |n: &[&str]| n.iter().map(|s| s.to_string()).collect();
        Self {
            prompt: names(&["prompt", "instruction"]),
            completion: names(&["completion", "generation", "response"]),
            model: names(&["model", "model_name"]),
            system: "system_prompt".into(),
            gold: "gold_label".into(),
        }
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportSummary {
    pub records: u64,
    pub added: u64,
    /// Records already in the campaign (or earlier in the same file).
    pub duplicates: u64,
    /// Responses only: prompts that did not exist yet and were created.
    pub prompts_added: u64,
}

fn required_text(
    path: &Path,
    at: Location,
    field: &str,
    value: &Value,
) -> Result<String, ImportError> {
    match value {
        Value::Text(text) if !text.trim().is_empty() => Ok(text.clone()),
        Value::Text(_) | Value::Null => Err(ImportError::at(
            path,
            at,
            format!("field `{field}` is empty; expected a non-empty string"),
        )),
        Value::Missing => Err(ImportError::at(
            path,
            at,
            format!("field `{field}` is missing; expected a non-empty string"),
        )),
        Value::Messages(_) => Err(ImportError::at(
            path,
            at,
            format!("field `{field}` is a message list; expected a string"),
        )),
        Value::Other(kind) => Err(ImportError::at(
            path,
            at,
            format!("field `{field}` is {kind}; expected a non-empty string"),
        )),
        Value::Bool(_) => Err(ImportError::at(
            path,
            at,
            format!("field `{field}` is a boolean; expected a non-empty string"),
        )),
    }
}

/// A gold card's expected label: `true`/`up` for 👍, `false`/`down` for 👎 (any case; a
/// boolean in JSON and Parquet, text in CSV); absent, `null` or empty for an ordinary
/// response.
fn gold_label(
    path: &Path,
    at: Location,
    field: &str,
    value: &Value,
) -> Result<Option<bool>, ImportError> {
    let text = match value {
        Value::Missing | Value::Null => return Ok(None),
        Value::Bool(b) => return Ok(Some(*b)),
        Value::Text(text) => text.trim().to_ascii_lowercase(),
        Value::Messages(_) => "a message list".to_string(),
        Value::Other(kind) => kind.clone(),
    };
    match text.as_str() {
        "" => Ok(None),
        "true" | "up" => Ok(Some(true)),
        "false" | "down" => Ok(Some(false)),
        _ => Err(ImportError::at(
            path,
            at,
            format!(
                "field `{field}` is `{text}`; expected true, false, up or down (or nothing for a response that is not gold)"
            ),
        )),
    }
}

fn optional_text(
    path: &Path,
    at: Location,
    field: &str,
    value: &Value,
) -> Result<Option<String>, ImportError> {
    match value {
        Value::Missing | Value::Null => Ok(None),
        Value::Text(text) if text.trim().is_empty() => Ok(None),
        Value::Text(text) => Ok(Some(text.clone())),
        _ => required_text(path, at, field, value).map(Some),
    }
}

/// A prompt from a message list: an optional system message, then one user message.
fn from_messages(
    path: &Path,
    at: Location,
    messages: &[(String, String)],
) -> Result<(String, Option<String>), ImportError> {
    let shape_error = || {
        ImportError::at(
            path,
            at,
            "field `messages`: expected an optional system message and then one user message \
             (multi-turn prompts are not supported yet)",
        )
    };
    match messages {
        [(role, text)] if role == "user" && !text.trim().is_empty() => Ok((text.clone(), None)),
        [(system_role, system), (role, text)]
            if system_role == "system" && role == "user" && !text.trim().is_empty() =>
        {
            Ok((
                text.clone(),
                Some(system.clone()).filter(|s| !s.trim().is_empty()),
            ))
        }
        _ => Err(shape_error()),
    }
}

/// Inserts `rows`, skipping those the campaign already has; returns how many were added.
async fn insert_prompts(
    db: &impl sea_orm::ConnectionTrait,
    rows: Vec<prompt::ActiveModel>,
) -> Result<u64, ImportError> {
    if rows.is_empty() {
        return Ok(0);
    }
    let result = prompt::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([prompt::Column::CampaignId, prompt::Column::ContentHash])
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(db)
        .await;
    match result {
        Ok(added) => Ok(added),
        Err(DbErr::RecordNotInserted) => Ok(0),
        Err(e) => Err(e.into()),
    }
}

fn new_prompt(campaign_id: i32, text: &str, system: Option<&str>) -> prompt::ActiveModel {
    prompt::ActiveModel {
        campaign_id: Set(campaign_id),
        text: Set(text.to_string()),
        system_prompt: Set(system.map(str::to_string)),
        metadata: Set(None),
        content_hash: Set(prompts::content_hash(text, system)),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
}

/// Imports the prompts of `source` into the campaign `slug`, all or nothing.
pub async fn import_prompts(
    db: &DatabaseConnection,
    slug: &str,
    source: &Source,
    fields: &PromptFields,
) -> Result<ImportSummary, ImportError> {
    let format = source.check()?;
    let path = source.path.as_path();
    let names = vec![
        fields.prompt.clone(),
        fields.system.clone(),
        "messages".to_string(),
    ];
    let required: Vec<&str> = match format {
        FileFormat::Csv | FileFormat::Parquet => vec![fields.prompt.as_str()],
        _ => vec![],
    };
    let mut records = Records::open(path, format, &names, &required)?;
    let txn = db.begin().await?;
    let campaign = crate::campaign::get(&txn, slug).await?;
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(record) = records.next(path)? {
        summary.records += 1;
        let at = record.at;
        let (text, system) = match (&record.values[0], &record.values[2]) {
            (Value::Missing, Value::Messages(messages)) if format == FileFormat::Jsonl => {
                from_messages(path, at, messages)?
            }
            (value, _) => (
                required_text(path, at, &fields.prompt, value)?,
                optional_text(path, at, &fields.system, &record.values[1])?,
            ),
        };
        batch.push(new_prompt(
            campaign.id,
            text.trim(),
            system.as_deref().map(str::trim),
        ));
        if batch.len() >= BATCH {
            summary.added += insert_prompts(&txn, std::mem::take(&mut batch)).await?;
        }
    }
    summary.added += insert_prompts(&txn, batch).await?;
    summary.duplicates = summary.records - summary.added;
    txn.commit().await?;
    Ok(summary)
}

fn text_hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Imports responses (prompt, completion, model) from `source` into the campaign `slug`,
/// all or nothing. A prompt links to the campaign's prompt with the same normalised text,
/// or is created; a model is found by its id or created.
pub async fn import_responses(
    db: &DatabaseConnection,
    slug: &str,
    source: &Source,
    fields: &ResponseFields,
) -> Result<ImportSummary, ImportError> {
    let format = source.check()?;
    let path = source.path.as_path();
    // Every candidate name of every field is read; the first present one wins.
    let mut names: Vec<String> = Vec::new();
    let groups = [&fields.prompt, &fields.completion, &fields.model];
    for group in groups {
        names.extend(group.iter().cloned());
    }
    names.push(fields.system.clone());
    names.push(fields.gold.clone());
    if format == FileFormat::Text {
        return Err(ImportError::file(
            path,
            "responses need three fields (prompt, completion, model): use jsonl, csv or parquet",
        ));
    }
    let mut records = Records::open(path, format, &names, &[])?;
    let txn = db.begin().await?;
    let campaign = crate::campaign::get(&txn, slug).await?;
    let mut summary = ImportSummary::default();
    let mut prompt_ids: HashMap<String, i32> = HashMap::new();
    let mut model_ids: HashMap<String, i32> = HashMap::new();
    // Per prompt: the (model, text) of its responses, loaded when the prompt first comes up.
    let mut known: HashMap<i32, HashSet<(i32, [u8; 32])>> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(record) = records.next(path)? {
        summary.records += 1;
        let at = record.at;
        let mut offset = 0;
        let mut pick = |group: &Vec<String>| -> Result<String, ImportError> {
            let values = &record.values[offset..offset + group.len()];
            offset += group.len();
            let found = group
                .iter()
                .zip(values)
                .find(|(_, v)| !matches!(v, Value::Missing));
            match found {
                Some((name, value)) => required_text(path, at, name, value),
                None => Err(ImportError::at(
                    path,
                    at,
                    format!(
                        "no field {}; expected a non-empty string",
                        group
                            .iter()
                            .map(|n| format!("`{n}`"))
                            .collect::<Vec<_>>()
                            .join(" or ")
                    ),
                )),
            }
        };
        let prompt_text = pick(&fields.prompt)?;
        let completion = pick(&fields.completion)?;
        let model_name = pick(&fields.model)?;
        let system = optional_text(path, at, &fields.system, &record.values[offset])?;
        let gold = gold_label(path, at, &fields.gold, &record.values[offset + 1])?;

        let hash = prompts::content_hash(&prompt_text, system.as_deref());
        let prompt_id = match prompt_ids.get(&hash) {
            Some(id) => *id,
            None => {
                let existing = prompt::Entity::find()
                    .filter(prompt::Column::CampaignId.eq(campaign.id))
                    .filter(prompt::Column::ContentHash.eq(hash.clone()))
                    .one(&txn)
                    .await?;
                let id = match existing {
                    Some(p) => p.id,
                    None => {
                        summary.prompts_added += 1;
                        prompts::add(&txn, campaign.id, &prompt_text, system.as_deref(), None)
                            .await?
                            .id
                    }
                };
                prompt_ids.insert(hash, id);
                id
            }
        };
        let model_id = match model_ids.get(&model_name) {
            Some(id) => *id,
            None => {
                let id = models::ensure(&txn, &model_name, &model_name).await?.id;
                model_ids.insert(model_name.clone(), id);
                id
            }
        };
        let seen = match known.entry(prompt_id) {
            Entry::Occupied(entry) => entry.into_mut(),
            Entry::Vacant(entry) => entry.insert(
                generation::Entity::find()
                    .filter(generation::Column::PromptId.eq(prompt_id))
                    .all(&txn)
                    .await?
                    .into_iter()
                    .map(|g| (g.model_id, text_hash(&g.text)))
                    .collect(),
            ),
        };
        if !seen.insert((model_id, text_hash(&completion))) {
            summary.duplicates += 1;
            continue;
        }
        batch.push(NewResponse {
            prompt_id,
            model_id,
            text: completion,
            params: None,
            gold_label: gold,
        });
        if batch.len() >= BATCH {
            summary.added +=
                responses::add_many(&txn, campaign.id, std::mem::take(&mut batch)).await? as u64;
        }
    }
    summary.added += responses::add_many(&txn, campaign.id, batch).await? as u64;
    txn.commit().await?;
    Ok(summary)
}

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
use sea_orm::{ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, TransactionTrait};
use serde::Serialize;
use sha2::{Digest, Sha256};

pub use read::{Keep, Location, MAX_RECORD_BYTES};
use read::{Records, Value};

use crate::CoreError;
use crate::campaign::conversation::Conversation;
use crate::campaign::models;
use crate::campaign::prompts::{self, NewPrompt};
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
    /// The prompt (default `prompt`): a text, or a conversation as a list of `{role,
    /// content}` messages (JSONL, Parquet). A `messages` list is taken when this field is
    /// absent.
    pub prompt: String,
    /// An optional system prompt (default `system_prompt`); absent is fine.
    pub system: String,
    /// The other fields kept as the prompt's metadata.
    pub metadata: Keep,
}

impl Default for PromptFields {
    fn default() -> Self {
        Self {
            prompt: "prompt".into(),
            system: "system_prompt".into(),
            metadata: Keep::All,
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
    /// The other fields kept as the response's metadata.
    pub metadata: Keep,
    /// Fields kept as the metadata of the prompt instead (a `topic`, a `language`), when
    /// the row creates it: a prompt keeps the metadata of the first row that names it.
    pub prompt_metadata: Vec<String>,
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
            metadata: Keep::All,
            prompt_metadata: Vec::new(),
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

/// A prompt from the message list in `field` (`crate::campaign::conversation`).
fn conversation(
    path: &Path,
    at: Location,
    field: &str,
    messages: &[(String, String)],
) -> Result<Conversation, ImportError> {
    Conversation::from_messages(messages)
        .map_err(|e| ImportError::at(path, at, format!("field `{field}`: {e}")))
}

/// A prompt read from `value` (a text or a message list) and, for a text, the optional
/// system prompt beside it.
fn prompt_of(
    path: &Path,
    at: Location,
    field: &str,
    value: &Value,
    (system_field, system): (&str, &Value),
) -> Result<Conversation, ImportError> {
    if let Value::Messages(messages) = value {
        return conversation(path, at, field, messages);
    }
    Ok(Conversation {
        last: required_text(path, at, field, value)?.trim().to_string(),
        system: optional_text(path, at, system_field, system)?.map(|s| s.trim().to_string()),
        history: Vec::new(),
    })
}

/// A response's text: a string, or (TRL's conversational format) a list of one assistant
/// message.
fn completion_of(
    path: &Path,
    at: Location,
    field: &str,
    value: &Value,
) -> Result<String, ImportError> {
    match value {
        Value::Messages(messages) => match messages.as_slice() {
            [(role, content)] if role == "assistant" && !content.trim().is_empty() => {
                Ok(content.clone())
            }
            _ => Err(ImportError::at(
                path,
                at,
                format!("field `{field}` is a message list; expected one assistant message"),
            )),
        },
        _ => required_text(path, at, field, value),
    }
}

/// The first of a field's candidate names that the record has, with its value.
fn first_present<'a>(
    path: &Path,
    at: Location,
    names: &'a [String],
    values: &'a [Value],
) -> Result<(&'a String, &'a Value), ImportError> {
    names
        .iter()
        .zip(values)
        .find(|(_, v)| !matches!(v, Value::Missing))
        .ok_or_else(|| {
            let names = names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ");
            ImportError::at(
                path,
                at,
                format!("no field {names}; expected a non-empty string"),
            )
        })
}

/// A record's kept fields as a metadata object, or `None` when there are none.
fn metadata_of(fields: serde_json::Map<String, serde_json::Value>) -> Option<serde_json::Value> {
    (!fields.is_empty()).then_some(serde_json::Value::Object(fields))
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
    let text_only = [fields.prompt.as_str()];
    let text_or_messages = [fields.prompt.as_str(), "messages"];
    let required: Vec<&[&str]> = match format {
        FileFormat::Csv => vec![&text_only],
        FileFormat::Parquet => vec![&text_or_messages],
        _ => vec![],
    };
    let mut records = Records::open(path, format, &names, &required, &fields.metadata)?;
    let txn = db.begin().await?;
    let campaign = crate::campaign::get(&txn, slug).await?;
    let mut summary = ImportSummary::default();
    let mut batch = Vec::with_capacity(BATCH);
    while let Some(record) = records.next(path)? {
        summary.records += 1;
        let at = record.at;
        let system = (fields.system.as_str(), &record.values[1]);
        let prompt = match (&record.values[0], &record.values[2]) {
            (Value::Missing, Value::Messages(messages)) => {
                conversation(path, at, "messages", messages)?
            }
            (value, _) => prompt_of(path, at, &fields.prompt, value, system)?,
        };
        let new = NewPrompt {
            text: &prompt.last,
            system: prompt.system.as_deref(),
            history: &prompt.history,
            metadata: metadata_of(record.extra),
        };
        batch.push(new.row(campaign.id));
        if batch.len() >= BATCH {
            summary.added += insert_prompts(&txn, std::mem::take(&mut batch)).await?;
        }
    }
    summary.added += insert_prompts(&txn, batch).await?;
    summary.duplicates = summary.records - summary.added;
    if campaign.category_field.is_some() && summary.added > 0 {
        crate::campaign::categories::recompute(&txn, &campaign).await?;
    }
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
    let keep = match &fields.metadata {
        _ if fields.prompt_metadata.is_empty() => fields.metadata.clone(),
        Keep::All => Keep::All,
        Keep::Nothing => Keep::Named(fields.prompt_metadata.clone()),
        Keep::Named(named) => Keep::Named(
            named
                .iter()
                .chain(&fields.prompt_metadata)
                .cloned()
                .collect(),
        ),
    };
    let mut records = Records::open(path, format, &names, &[], &keep)?;
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
        let values = record.values.as_slice();
        let (prompt_part, rest) = values.split_at(fields.prompt.len());
        let (completion_part, rest) = rest.split_at(fields.completion.len());
        let (model_part, rest) = rest.split_at(fields.model.len());
        let (prompt_field, prompt_value) = first_present(path, at, &fields.prompt, prompt_part)?;
        let (completion_field, completion_value) =
            first_present(path, at, &fields.completion, completion_part)?;
        let (model_field, model_value) = first_present(path, at, &fields.model, model_part)?;
        let system = (fields.system.as_str(), &rest[0]);
        let prompt = prompt_of(path, at, prompt_field, prompt_value, system)?;
        let completion = completion_of(path, at, completion_field, completion_value)?;
        let model_name = required_text(path, at, model_field, model_value)?;
        let gold = gold_label(path, at, &fields.gold, &rest[1])?;
        let mut response_metadata = record.extra;
        let mut prompt_metadata = serde_json::Map::new();
        for name in &fields.prompt_metadata {
            if let Some(value) = response_metadata.remove(name) {
                prompt_metadata.insert(name.clone(), value);
            }
        }
        if matches!(fields.metadata, Keep::Nothing) {
            response_metadata.clear();
        }
        let new_prompt = NewPrompt {
            text: &prompt.last,
            system: prompt.system.as_deref(),
            history: &prompt.history,
            metadata: metadata_of(prompt_metadata),
        };

        let hash = new_prompt.hash();
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
                        prompts::insert(&txn, campaign.id, &new_prompt).await?.id
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
            metadata: metadata_of(response_metadata),
        });
        if batch.len() >= BATCH {
            summary.added +=
                responses::add_many(&txn, campaign.id, std::mem::take(&mut batch)).await? as u64;
        }
    }
    summary.added += responses::add_many(&txn, campaign.id, batch).await? as u64;
    if campaign.category_field.is_some() && summary.prompts_added > 0 {
        crate::campaign::categories::recompute(&txn, &campaign).await?;
    }
    txn.commit().await?;
    Ok(summary)
}

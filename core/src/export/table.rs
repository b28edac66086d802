//! The shape of an export: named, typed columns and rows of cells. Every kind of export
//! (KTO, DPO, ratings) says its columns once here, and every format (Parquet, JSONL, CSV)
//! writes any table, so a column never exists in one format and not in another.

use std::borrow::Cow;

use chrono::{DateTime, Utc};

use super::{Kind, Variant};
use crate::campaign::conversation::Turn;

/// One chat message of the conversational variant, as TRL reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    pub role: &'static str,
    pub content: String,
}

/// What a column holds. `Messages` is a list of `{role, content}` structs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    Text,
    Messages,
    Bool,
    Int,
    /// An integer that may be missing (null).
    OptInt,
    Float,
    /// An instant in UTC, microsecond precision.
    Time,
    /// Text that may be missing (null): a metadata field.
    OptText,
}

/// Where a metadata column's values come from: a key of the prompt's metadata, or of the
/// response's (in DPO, of the chosen or the rejected response's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    Prompt(String),
    Response(String),
    Chosen(String),
    Rejected(String),
}

impl Meta {
    pub fn key(&self) -> &str {
        match self {
            Meta::Prompt(k) | Meta::Response(k) | Meta::Chosen(k) | Meta::Rejected(k) => k,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    pub name: Cow<'static, str>,
    pub ty: ColumnType,
    /// For a metadata column, where its values come from.
    pub meta: Option<Meta>,
}

/// One value; its variant matches its column's type.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Messages(Vec<Message>),
    Bool(bool),
    Int(i64),
    OptInt(Option<i64>),
    Float(f64),
    Time(DateTime<Utc>),
    OptText(Option<String>),
}

pub type Row = Vec<Cell>;

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column {
        name: Cow::Borrowed(name),
        ty,
        meta: None,
    }
}

/// Adds a column for each metadata key after `columns`: prompts' keys as they are named,
/// then responses' (in DPO, `chosen_` and `rejected_` ones). A name already taken gets
/// `prompt_` or `response_` before it, and a number after if that is taken too, so no
/// column ever shadows another.
pub fn add_metadata(
    columns: &mut Vec<Column>,
    kind: Kind,
    prompt_keys: &[String],
    response_keys: &[String],
) {
    let mut add = |preferred: String, prefix: &str, meta: Meta| {
        let taken = |name: &str, columns: &[Column]| columns.iter().any(|c| c.name == name);
        let mut name = preferred;
        if taken(&name, columns) {
            name = format!("{prefix}{name}");
        }
        let base = name.clone();
        let mut n = 2;
        while taken(&name, columns) {
            name = format!("{base}_{n}");
            n += 1;
        }
        columns.push(Column {
            name: Cow::Owned(name),
            ty: ColumnType::OptText,
            meta: Some(meta),
        });
    };
    for key in prompt_keys {
        add(key.clone(), "prompt_", Meta::Prompt(key.clone()));
    }
    for key in response_keys {
        match kind {
            Kind::Dpo => {
                add(format!("chosen_{key}"), "", Meta::Chosen(key.clone()));
                add(format!("rejected_{key}"), "", Meta::Rejected(key.clone()));
            }
            _ => add(key.clone(), "response_", Meta::Response(key.clone())),
        }
    }
}

/// A metadata cell: a text value as it is, any other value as its JSON, null when the key
/// is not there.
pub fn meta_cell(metadata: Option<&serde_json::Value>, key: &str) -> Cell {
    Cell::OptText(match metadata.and_then(|m| m.get(key)) {
        None | Some(serde_json::Value::Null) => None,
        Some(serde_json::Value::String(text)) => Some(text.clone()),
        Some(other) => Some(other.to_string()),
    })
}

/// The columns of `kind` in `variant`: TRL's own names first, then swipeset's. The
/// `generation_id` columns repeat `response_id` under its old name until the next release.
/// Under the `weighted` policy (`p_up`), KTO rows end with the posterior P(👍).
pub fn columns(kind: Kind, variant: Variant, annotator_names: bool, p_up: bool) -> Vec<Column> {
    use ColumnType::*;
    let text = match variant {
        Variant::Standard => Text,
        Variant::Conversational => Messages,
    };
    match kind {
        Kind::Kto => {
            let mut columns = vec![
                col("prompt", text),
                col("completion", text),
                col("label", Bool),
                col("model", Text),
                col("n_up", Int),
                col("n_down", Int),
                col("agreement", Float),
                col("campaign", Text),
                col("response_id", Int),
                col("generation_id", Int),
            ];
            if p_up {
                columns.push(col("p_up", Float));
            }
            columns
        }
        Kind::Dpo => vec![
            col("prompt", text),
            col("chosen", text),
            col("rejected", text),
            col("chosen_model", Text),
            col("rejected_model", Text),
            col("campaign", Text),
            col("chosen_response_id", Int),
            col("rejected_response_id", Int),
            col("chosen_generation_id", Int),
            col("rejected_generation_id", Int),
        ],
        Kind::Ratings => {
            let mut columns = vec![
                col("prompt", text),
                col("completion", text),
                col("model", Text),
                col("label", Bool),
                col("annotator", Text),
                col("created_at", Time),
                col("decision_ms", OptInt),
                col("campaign", Text),
                col("response_id", Int),
                col("generation_id", Int),
            ];
            if annotator_names {
                columns.push(col("annotator_name", Text));
            }
            columns
        }
    }
}

/// The prompt cell of a variant: plain text, or the messages a chat model was sent (the
/// system prompt first, where there is one, then a conversation's earlier turns). The
/// standard variant never sees a conversation: `Export::prepare` refuses it.
pub fn prompt_cell(
    variant: Variant,
    text: &str,
    system_prompt: Option<&str>,
    history: &[Turn],
) -> Cell {
    match variant {
        Variant::Standard => Cell::Text(text.to_string()),
        Variant::Conversational => Cell::Messages(
            crate::campaign::conversation::messages(system_prompt, history, text)
                .into_iter()
                .map(|(role, content)| Message {
                    role: match role {
                        "system" => "system",
                        "assistant" => "assistant",
                        _ => "user",
                    },
                    content: content.to_string(),
                })
                .collect(),
        ),
    }
}

/// A response's cell: plain text, or one assistant message.
pub fn completion_cell(variant: Variant, text: &str) -> Cell {
    match variant {
        Variant::Standard => Cell::Text(text.to_string()),
        Variant::Conversational => Cell::Messages(vec![Message {
            role: "assistant",
            content: text.to_string(),
        }]),
    }
}

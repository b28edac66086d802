//! The shape of an export: named, typed columns and rows of cells. Every kind of export
//! (KTO, DPO, ratings) says its columns once here, and every format (Parquet, JSONL, CSV)
//! writes any table, so a column never exists in one format and not in another.

use chrono::{DateTime, Utc};

use super::{Kind, Variant};

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
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
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
}

pub type Row = Vec<Cell>;

const fn col(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty }
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
/// system prompt first, where there is one).
pub fn prompt_cell(variant: Variant, text: &str, system_prompt: Option<&str>) -> Cell {
    match variant {
        Variant::Standard => Cell::Text(text.to_string()),
        Variant::Conversational => {
            let mut messages = Vec::with_capacity(2);
            if let Some(system) = system_prompt.filter(|s| !s.trim().is_empty()) {
                messages.push(Message {
                    role: "system",
                    content: system.to_string(),
                });
            }
            messages.push(Message {
                role: "user",
                content: text.to_string(),
            });
            Cell::Messages(messages)
        }
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

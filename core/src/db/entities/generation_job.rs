//! What `swipeset generate` did for one (prompt, model, sample): a response to rate
//! (`status = "done"`, with `generation_id`), or a failure with its reason (`"failed"`),
//! and in both cases what the endpoint said about it.

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "generation_job")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i32,
    pub campaign_id: i32,
    pub prompt_id: i32,
    pub model_id: i32,
    /// Which of the model's responses to this prompt (0 for the first).
    pub sample: i32,
    /// `done` or `failed`.
    pub status: String,
    /// Why it failed: the HTTP status and body, a timeout, `finish_reason: length`, …
    pub reason: Option<String>,
    pub generation_id: Option<i32>,
    /// The text that came back with a failure (a cut-off response), kept for a look.
    pub text: Option<String>,
    /// The model id sent in the request.
    pub requested_model: String,
    /// The model the endpoint says answered.
    pub served_model: Option<String>,
    /// The request's sampling parameters.
    pub params: Option<Json>,
    pub latency_ms: Option<i32>,
    pub prompt_tokens: Option<i32>,
    pub completion_tokens: Option<i32>,
    pub finish_reason: Option<String>,
    /// Requests made, retries included.
    pub attempts: i32,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! Responses: adding them to a campaign's prompts.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::CoreResult;
use crate::entities::{generation, prompt};

/// A response waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewGeneration {
    pub prompt_id: i32,
    pub model_id: i32,
    pub text: String,
    pub params: Option<serde_json::Value>,
}

impl NewGeneration {
    pub fn for_prompt(prompt: &prompt::Model, model_id: i32, text: impl Into<String>) -> Self {
        Self {
            prompt_id: prompt.id,
            model_id,
            text: text.into(),
            params: None,
        }
    }
}

/// Stores `rows` for `campaign_id` with zeroed counters, in the order given (which is the
/// order cards are offered in when their counts are equal).
pub async fn add_many(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    rows: Vec<NewGeneration>,
) -> CoreResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let count = rows.len();
    let now = chrono::Utc::now();
    generation::Entity::insert_many(rows.into_iter().map(|row| generation::ActiveModel {
        campaign_id: Set(campaign_id),
        prompt_id: Set(row.prompt_id),
        model_id: Set(row.model_id),
        text: Set(row.text),
        params: Set(row.params),
        rating_count: Set(0),
        up_count: Set(0),
        down_count: Set(0),
        created_at: Set(now),
        ..Default::default()
    }))
    .exec_without_returning(db)
    .await?;
    Ok(count)
}

//! Responses: adding them to a campaign's prompts, and naming a campaign's responses in a
//! query.

use sea_orm::sea_query::{Expr, OnConflict, Query, SelectStatement};
use sea_orm::{ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait};
use sha2::{Digest, Sha256};

use crate::CoreResult;
use crate::db::entities::{generation, model_stat, prompt};

/// The ids of `campaign_id`'s responses, as a subquery (`… IN (SELECT id …)`), for the
/// tables that name a response but not its campaign (ratings, leases, skips).
pub(crate) fn ids_in(campaign_id: i32) -> SelectStatement {
    Query::select()
        .column(generation::Column::Id)
        .from(generation::Entity)
        .and_where(generation::Column::CampaignId.eq(campaign_id))
        .to_owned()
}

/// A response waiting to be stored.
#[derive(Debug, Clone)]
pub struct NewResponse {
    pub prompt_id: i32,
    pub model_id: i32,
    pub text: String,
    pub params: Option<serde_json::Value>,
    /// The label an admin expects: a gold card (`crate::rating::gold`).
    pub gold_label: Option<bool>,
    /// The other fields of its import row (`crate::import`).
    pub metadata: Option<serde_json::Value>,
}

impl NewResponse {
    pub fn for_prompt(prompt: &prompt::Model, model_id: i32, text: impl Into<String>) -> Self {
        Self {
            prompt_id: prompt.id,
            model_id,
            text: text.into(),
            params: None,
            gold_label: None,
            metadata: None,
        }
    }
}

/// The rank of a response among those with equal counts: a hash of its campaign, prompt
/// and model. Ordering by it interleaves models and scatters each prompt's responses, so
/// every model's count grows evenly and one prompt's responses rarely come in a row; being
/// a hash, it is the same on every run and every database.
pub fn order_key(campaign_id: i32, prompt_id: i32, model_id: i32) -> i32 {
    let mut hasher = Sha256::new();
    for part in [campaign_id, prompt_id, model_id] {
        hasher.update(part.to_le_bytes());
    }
    let digest = hasher.finalize();
    i32::from_le_bytes([digest[0], digest[1], digest[2], digest[3]]) & i32::MAX
}

/// Stores `rows` for `campaign_id` with zeroed counters.
pub async fn add_many(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    rows: Vec<NewResponse>,
) -> CoreResult<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    let count = rows.len();
    let now = chrono::Utc::now();
    // Each model's leaderboard row counts its responses (the rating target), and exists
    // from the start so the board lists the model before its first rating.
    // Gold cards are not their model's responses: they measure raters.
    let mut per_model: std::collections::BTreeMap<i32, i32> = std::collections::BTreeMap::new();
    let mut gold = 0;
    for row in &rows {
        match row.gold_label {
            Some(_) => gold += 1,
            None => *per_model.entry(row.model_id).or_default() += 1,
        }
    }
    for (model_id, added) in per_model {
        count_responses(db, campaign_id, model_id, added).await?;
    }
    if gold > 0 {
        crate::rating::gold::count_gold_cards(db, campaign_id, gold).await?;
    }
    generation::Entity::insert_many(rows.into_iter().map(|row| generation::ActiveModel {
        order_key: Set(order_key(campaign_id, row.prompt_id, row.model_id)),
        claimed_count: Set(0),
        campaign_id: Set(campaign_id),
        prompt_id: Set(row.prompt_id),
        model_id: Set(row.model_id),
        length: Set(i32::try_from(row.text.chars().count()).unwrap_or(i32::MAX)),
        text: Set(row.text),
        params: Set(row.params),
        gold_label: Set(row.gold_label),
        metadata: Set(row.metadata),
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

/// Moves the count of `model_id`'s responses in the campaign (the leaderboard's row, and
/// the rating target) by `delta`: responses added, or hidden (negative) and shown again.
pub(crate) async fn count_responses(
    db: &impl ConnectionTrait,
    campaign_id: i32,
    model_id: i32,
    delta: i32,
) -> CoreResult<()> {
    model_stat::Entity::insert(model_stat::ActiveModel {
        campaign_id: Set(campaign_id),
        model_id: Set(model_id),
        shard: Set(0),
        up_count: Set(0),
        down_count: Set(0),
        responses: Set(delta),
        rated_responses: Set(0),
        ..Default::default()
    })
    .on_conflict(
        // Responses are counted in shard 0 (ratings spread over the shards).
        OnConflict::columns([
            model_stat::Column::CampaignId,
            model_stat::Column::ModelId,
            model_stat::Column::Shard,
        ])
        .value(
            model_stat::Column::Responses,
            Expr::col((model_stat::Entity, model_stat::Column::Responses)).add(delta),
        )
        .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_keys_are_stable_non_negative_and_spread() {
        assert_eq!(order_key(1, 2, 3), order_key(1, 2, 3));
        let keys: Vec<i32> = (0..1000).map(|p| order_key(1, p, 1)).collect();
        assert!(keys.iter().all(|k| *k >= 0));
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert!(
            sorted.len() > 995,
            "hash collisions: {}",
            1000 - sorted.len()
        );
        assert_ne!(keys, sorted, "not simply increasing with the prompt");
    }
}

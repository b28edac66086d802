//! How generation stands for a campaign, per model: the responses it has (made here or
//! imported), and what `swipeset generate` recorded — done, failed, and the latest reason.

use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QueryOrder,
    QuerySelect,
};
use swipeset_wire::GenerationLine;

use crate::CoreResult;
use crate::db::entities::{generation, generation_job, model};

#[derive(FromQueryResult)]
struct Count {
    model_id: i32,
    n: i64,
}

#[derive(FromQueryResult)]
struct JobCount {
    model_id: i32,
    status: String,
    n: i64,
}

/// Every model with responses or jobs in the campaign, by name.
pub async fn status(
    db: &impl ConnectionTrait,
    campaign_id: i32,
) -> CoreResult<Vec<GenerationLine>> {
    let responses = generation::Entity::find()
        .select_only()
        .column(generation::Column::ModelId)
        .column_as(generation::Column::Id.count(), "n")
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .group_by(generation::Column::ModelId)
        .into_model::<Count>()
        .all(db)
        .await?;
    let jobs = generation_job::Entity::find()
        .select_only()
        .column(generation_job::Column::ModelId)
        .column(generation_job::Column::Status)
        .column_as(generation_job::Column::Id.count(), "n")
        .filter(generation_job::Column::CampaignId.eq(campaign_id))
        .group_by(generation_job::Column::ModelId)
        .group_by(generation_job::Column::Status)
        .into_model::<JobCount>()
        .all(db)
        .await?;
    let mut ids: Vec<i32> = responses
        .iter()
        .map(|c| c.model_id)
        .chain(jobs.iter().map(|j| j.model_id))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    let names = model::Entity::find()
        .filter(model::Column::Id.is_in(ids.clone()))
        .all(db)
        .await?;
    let mut lines = Vec::new();
    for id in ids {
        let count = |status: &str| {
            jobs.iter()
                .filter(|j| j.model_id == id && j.status == status)
                .map(|j| j.n as u64)
                .sum()
        };
        let failed: u64 = count("failed");
        let last_failure = if failed > 0 {
            generation_job::Entity::find()
                .filter(generation_job::Column::CampaignId.eq(campaign_id))
                .filter(generation_job::Column::ModelId.eq(id))
                .filter(generation_job::Column::Status.eq("failed"))
                .order_by_desc(generation_job::Column::UpdatedAt)
                .one(db)
                .await?
                .and_then(|j| j.reason)
        } else {
            None
        };
        lines.push(GenerationLine {
            model: names
                .iter()
                .find(|m| m.id == id)
                .map(|m| m.name.clone())
                .unwrap_or_else(|| format!("model {id}")),
            responses: responses
                .iter()
                .find(|c| c.model_id == id)
                .map_or(0, |c| c.n as u64),
            done: count("done"),
            failed,
            last_failure,
        });
    }
    lines.sort_by(|a, b| a.model.cmp(&b.model));
    Ok(lines)
}

//! Fixtures for the domain's own tests: a fresh migrated database and a small campaign.

use sea_orm::DatabaseConnection;

use crate::campaign::NewCampaign;
use crate::campaign::models;
use crate::campaign::prompts;
use crate::campaign::responses::{self, NewResponse};
use crate::db;
use crate::db::entities::campaign;

/// A new, migrated SQLite database in memory.
pub async fn fresh_db() -> DatabaseConnection {
    db::connect("sqlite::memory:")
        .await
        .expect("in-memory database")
}

/// A fresh in-memory database behind a `Store`, for tests of the rating path.
pub async fn fresh_store() -> crate::Store {
    crate::Store::new(fresh_db().await)
}

/// A campaign with `prompts` prompts, one response from each of `models` models, and
/// overlap 2. Models are named "Model 0", "Model 1", ...
pub async fn small_campaign(
    db: &DatabaseConnection,
    prompts: usize,
    models: usize,
) -> campaign::Model {
    let slug = format!("test-{}", uuid::Uuid::new_v4());
    let campaign = crate::campaign::create(
        db,
        NewCampaign {
            overlap: 2,
            ..NewCampaign::new(slug.clone(), "Test")
        },
    )
    .await
    .expect("campaign");
    let mut model_ids = Vec::new();
    for m in 0..models {
        let model = models::ensure(db, &format!("Model {m}"), &format!("{slug}/model-{m}"))
            .await
            .expect("model");
        model_ids.push(model.id);
    }
    let mut rows = Vec::new();
    for p in 0..prompts {
        let prompt = prompts::add(db, campaign.id, &format!("Prompt {p}"), None, None)
            .await
            .expect("prompt");
        for &model_id in &model_ids {
            rows.push(NewResponse::for_prompt(
                &prompt,
                model_id,
                format!("Response to {p} by {model_id}"),
            ));
        }
    }
    responses::add_many(db, campaign.id, rows)
        .await
        .expect("generations");
    campaign
}

/// What a recount of every counter finds against the stored ones (`board::aggregates`),
/// for tests of the layers below the board that must leave the counters right.
pub async fn recount(
    db: &DatabaseConnection,
) -> crate::CoreResult<crate::board::aggregates::Drift> {
    crate::board::aggregates::rebuild(db, false).await
}

/// The ids of a campaign's responses.
pub async fn response_ids(db: &DatabaseConnection, campaign_id: i32) -> Vec<i32> {
    use crate::db::entities::generation;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .all(db)
        .await
        .expect("responses")
        .into_iter()
        .map(|g| g.id)
        .collect()
}

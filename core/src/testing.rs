//! Fixtures for the domain's own tests: a fresh migrated database and a small campaign.

use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait};

use crate::entities::{campaign, generation, model, prompt};
use crate::{db, prompts};

/// A new, migrated SQLite database in memory.
pub async fn fresh_db() -> DatabaseConnection {
    db::connect("sqlite::memory:")
        .await
        .expect("in-memory database")
}

/// A campaign with `prompts` prompts, one response from each of `models` models, and
/// overlap 2. Models are named "Model 0", "Model 1", ...
pub async fn small_campaign(
    db: &DatabaseConnection,
    prompts: usize,
    models: usize,
) -> campaign::Model {
    let now = chrono::Utc::now();
    let campaign = campaign::Entity::insert(campaign::ActiveModel {
        slug: Set(format!("test-{}", uuid::Uuid::new_v4())),
        title: Set("Test".into()),
        guidelines: Set(String::new()),
        overlap: Set(2),
        reveal_models: Set(false),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await
    .unwrap();
    let mut model_ids = Vec::new();
    for m in 0..models {
        let row = model::Entity::insert(model::ActiveModel {
            name: Set(format!("Model {m}")),
            model_id: Set(format!("{}/model-{m}", campaign.slug)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await
        .unwrap();
        model_ids.push(row.id);
    }
    for p in 0..prompts {
        let text = format!("Prompt {p}");
        let prompt = prompt::Entity::insert(prompt::ActiveModel {
            campaign_id: Set(campaign.id),
            text: Set(text.clone()),
            system_prompt: Set(None),
            metadata: Set(None),
            content_hash: Set(prompts::content_hash(&text, None)),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(db)
        .await
        .unwrap();
        for &model_id in &model_ids {
            generation::Entity::insert(generation::ActiveModel {
                campaign_id: Set(campaign.id),
                prompt_id: Set(prompt.id),
                model_id: Set(model_id),
                text: Set(format!("Response to {p} by {model_id}")),
                params: Set(None),
                rating_count: Set(0),
                up_count: Set(0),
                down_count: Set(0),
                created_at: Set(now),
                ..Default::default()
            })
            .exec_without_returning(db)
            .await
            .unwrap();
        }
    }
    campaign
}

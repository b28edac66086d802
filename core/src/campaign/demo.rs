//! The demo campaign: haiku prompts with responses from three demo "models", all written by
//! the swipeset project itself (see `demo/haiku.json`), so a newcomer sees cards at once
//! without an API key. The models' names say they are demos.

use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, TransactionTrait,
};
use serde::Deserialize;
use std::collections::BTreeMap;

use crate::campaign::NewCampaign;
use crate::campaign::models;
use crate::campaign::prompts;
use crate::campaign::responses::{self, NewResponse};
use crate::db::entities::campaign;
use crate::{CoreError, CoreResult};

pub const DEMO_SLUG: &str = "haiku-demo";

const DEMO_DATA: &str = include_str!("demo/haiku.json");

/// The three demo models, keyed as in `haiku.json`.
const DEMO_MODELS: [(&str, &str, &str); 3] = [
    (
        "careful",
        "Demo · Careful Poet",
        "swipeset-demo/careful-poet",
    ),
    ("wordy", "Demo · Wordy Poet", "swipeset-demo/wordy-poet"),
    ("terse", "Demo · Terse Poet", "swipeset-demo/terse-poet"),
];

const GUIDELINES: &str = "\
Rate each haiku as if you had asked for it yourself.

- 👍 if you would be happy to receive it: three short lines, on the topic, and \
following any extra instruction in the prompt.
- 👎 if it misses the topic or the instruction, pads the answer with chatter, or is \
not a haiku.

Don't count syllables on your fingers: go with your first impression.";

#[derive(Deserialize)]
struct DemoFile {
    prompts: Vec<DemoPrompt>,
}

#[derive(Deserialize)]
struct DemoPrompt {
    prompt: String,
    responses: BTreeMap<String, String>,
}

/// What loading the demo did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoOutcome {
    pub campaign: String,
    /// `false` when the demo campaign already existed and nothing was changed.
    pub created: bool,
    pub prompts: usize,
    pub responses: usize,
}

/// Whether the database holds no campaign at all: `serve --demo` loads the demo only then.
pub async fn database_is_empty(db: &DatabaseConnection) -> CoreResult<bool> {
    Ok(campaign::Entity::find().count(db).await? == 0)
}

/// Creates the demo campaign, its models, prompts and responses in one transaction.
/// Does nothing if a campaign with the demo's slug already exists.
pub async fn load(db: &DatabaseConnection) -> CoreResult<DemoOutcome> {
    let data: DemoFile = serde_json::from_str(DEMO_DATA)
        .map_err(|e| CoreError::invalid("demo/haiku.json", e.to_string()))?;
    if campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(DEMO_SLUG))
        .one(db)
        .await?
        .is_some()
    {
        return Ok(DemoOutcome {
            campaign: DEMO_SLUG.to_string(),
            created: false,
            prompts: 0,
            responses: 0,
        });
    }

    let txn = db.begin().await?;
    let campaign = crate::campaign::create(
        &txn,
        NewCampaign {
            slug: DEMO_SLUG.to_string(),
            title: "Haiku (demo)".to_string(),
            guidelines: GUIDELINES.to_string(),
            overlap: 3,
            reveal_models: true,
            // The haiku and the demo "models" are written by the project, under its license.
            license: "apache-2.0".to_string(),
            // A newcomer should see the demo's leaderboard before making an account.
            public_board: true,
            // Haiku: the line breaks and the spacing are the poem, shown as written.
            render_markdown: false,
            ..NewCampaign::new(DEMO_SLUG, "Haiku (demo)")
        },
    )
    .await?;

    let mut model_ids = Vec::new();
    for (_, name, requested_model) in DEMO_MODELS {
        model_ids.push(models::ensure(&txn, name, requested_model).await?.id);
    }

    let mut prompt_rows = Vec::new();
    for item in &data.prompts {
        let metadata = serde_json::json!({ "source": "swipeset demo" });
        prompt_rows
            .push(prompts::add(&txn, campaign.id, &item.prompt, None, Some(metadata)).await?);
    }

    let mut rows = Vec::new();
    for (index, item) in data.prompts.iter().enumerate() {
        for (slot, (key, _, _)) in DEMO_MODELS.iter().enumerate() {
            let text = item.responses.get(*key).ok_or_else(|| {
                CoreError::invalid(
                    "demo/haiku.json",
                    format!("prompt {index} has no {key} response"),
                )
            })?;
            rows.push(NewResponse {
                params: Some(
                    serde_json::json!({ "demo": true, "written_by": "the swipeset project" }),
                ),
                ..NewResponse::for_prompt(&prompt_rows[index], model_ids[slot], text.clone())
            });
        }
    }
    let stored = responses::add_many(&txn, campaign.id, rows).await?;
    txn.commit().await?;

    Ok(DemoOutcome {
        campaign: DEMO_SLUG.to_string(),
        created: true,
        prompts: prompt_rows.len(),
        responses: stored,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::entities::model;
    use crate::testing::fresh_store;

    #[tokio::test]
    async fn loads_once_with_three_responses_per_prompt() {
        let store = fresh_store().await;
        let db = store.db().clone();
        assert!(database_is_empty(&db).await.unwrap());
        let outcome = load(&db).await.unwrap();
        assert!(outcome.created);
        assert!(
            outcome.prompts >= 30,
            "at least 30 prompts, got {}",
            outcome.prompts
        );
        assert_eq!(outcome.responses, outcome.prompts * 3);
        assert!(!database_is_empty(&db).await.unwrap());

        let again = load(&db).await.unwrap();
        assert!(!again.created);
        let campaign = crate::campaign::resolve(&db, Some(DEMO_SLUG))
            .await
            .unwrap()
            .unwrap();
        let responses = crate::db::entities::generation::Entity::find()
            .filter(crate::db::entities::generation::Column::CampaignId.eq(campaign.id))
            .count(&db)
            .await
            .unwrap();
        assert_eq!(responses as usize, outcome.responses);
        assert_eq!(
            campaign.overlap, 3,
            "the target is every response rated three times"
        );
    }

    #[tokio::test]
    async fn every_model_is_labelled_as_a_demo() {
        let store = fresh_store().await;
        let db = store.db().clone();
        load(&db).await.unwrap();
        for m in model::Entity::find().all(&db).await.unwrap() {
            assert!(m.name.starts_with("Demo"), "{}", m.name);
            assert!(
                m.requested_model.starts_with("swipeset-demo/"),
                "{}",
                m.requested_model
            );
        }
    }
}

//! Storing a rating. A rating is written once per (annotator, generation): the unique index
//! decides, not a read-then-write check, so a retried or concurrent submission can never
//! count twice. The generation's counters change in the same transaction as the rating.

use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, TransactionTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{campaign, generation, model, rating};
use crate::{CoreError, CoreResult, Label};

/// The answer to a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateOutcome {
    pub generation_id: i32,
    /// The label now stored: the one sent, or the earlier one if this was a repeat.
    pub label: Label,
    /// `false` when this annotator had already rated the generation; nothing changed.
    pub recorded: bool,
    /// The model that wrote the response, only when the campaign reveals models.
    pub model: Option<String>,
}

/// Records `label` by `user_id` on `generation_id`.
pub async fn rate(
    db: &DatabaseConnection,
    user_id: i32,
    generation_id: i32,
    label: Label,
) -> CoreResult<RateOutcome> {
    // Read first, outside the transaction: on SQLite a transaction that reads and then
    // writes can fail to upgrade its lock under concurrency, while one that starts by
    // writing simply waits its turn.
    let (generation, campaign) = generation::Entity::find_by_id(generation_id)
        .find_also_related(campaign::Entity)
        .one(db)
        .await?
        .ok_or_else(|| CoreError::not_found("generation", generation_id))?;
    let campaign =
        campaign.ok_or_else(|| CoreError::not_found("campaign of generation", generation_id))?;

    let txn = db.begin().await?;
    let inserted = rating::Entity::insert(rating::ActiveModel {
        user_id: Set(user_id),
        generation_id: Set(generation_id),
        label: Set(label.is_up()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::columns([rating::Column::UserId, rating::Column::GenerationId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    let recorded = inserted == 1;
    let stored_label = if recorded {
        let counter = if label.is_up() {
            generation::Column::UpCount
        } else {
            generation::Column::DownCount
        };
        generation::Entity::update_many()
            .col_expr(
                generation::Column::RatingCount,
                Expr::col(generation::Column::RatingCount).add(1),
            )
            .col_expr(counter, Expr::col(counter).add(1))
            .filter(generation::Column::Id.eq(generation_id))
            .exec(&txn)
            .await?;
        label
    } else {
        rating::Entity::find()
            .filter(rating::Column::UserId.eq(user_id))
            .filter(rating::Column::GenerationId.eq(generation_id))
            .one(&txn)
            .await?
            .map(|r| Label::from_is_up(r.label))
            .unwrap_or(label)
    };
    txn.commit().await?;

    let model = if campaign.reveal_models {
        model::Entity::find_by_id(generation.model_id)
            .one(db)
            .await?
            .map(|m| m.name)
    } else {
        None
    };
    Ok(RateOutcome {
        generation_id,
        label: stored_label,
        recorded,
        model,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{fresh_db, small_campaign};
    use crate::{annotators, cards};

    /// A one-card campaign, an annotator, and the card they are offered.
    async fn one_card(db: &DatabaseConnection, cookie: &str) -> (campaign::Model, i32, i32) {
        let campaign = small_campaign(db, 1, 1).await;
        let user = annotators::browser_annotator(db, cookie).await.unwrap();
        let card = cards::next_card(db, &campaign, Some(user.id))
            .await
            .unwrap()
            .unwrap();
        (campaign, user.id, card.generation_id)
    }

    async fn counters(db: &DatabaseConnection, id: i32) -> (i32, i32, i32) {
        let g = generation::Entity::find_by_id(id)
            .one(db)
            .await
            .unwrap()
            .unwrap();
        (g.rating_count, g.up_count, g.down_count)
    }

    #[tokio::test]
    async fn a_repeated_rating_counts_once() {
        let db = fresh_db().await;
        let (_, user_id, generation_id) = one_card(&db, "a").await;

        let first = rate(&db, user_id, generation_id, Label::Up).await.unwrap();
        assert!(first.recorded);
        let retry = rate(&db, user_id, generation_id, Label::Up).await.unwrap();
        assert!(!retry.recorded);
        let changed_mind = rate(&db, user_id, generation_id, Label::Down)
            .await
            .unwrap();
        assert!(!changed_mind.recorded);
        assert_eq!(
            changed_mind.label,
            Label::Up,
            "the stored label is reported"
        );
        assert_eq!(counters(&db, generation_id).await, (1, 1, 0));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_duplicates_count_once() {
        let db = fresh_db().await;
        let (_, user_id, generation_id) = one_card(&db, "a").await;
        let mut attempts = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let db = db.clone();
            attempts.spawn(async move { rate(&db, user_id, generation_id, Label::Down).await });
        }
        let mut recorded = 0;
        while let Some(result) = attempts.join_next().await {
            recorded += usize::from(result.unwrap().unwrap().recorded);
        }
        assert_eq!(recorded, 1);
        assert_eq!(counters(&db, generation_id).await, (1, 0, 1));
    }

    #[tokio::test]
    async fn unknown_generation_is_not_found() {
        let db = fresh_db().await;
        let user = annotators::browser_annotator(&db, "a").await.unwrap();
        let err = rate(&db, user.id, 999_999, Label::Up).await.unwrap_err();
        assert!(
            matches!(
                err,
                CoreError::NotFound {
                    what: "generation",
                    ..
                }
            ),
            "{err}"
        );
        assert_eq!(err.to_string(), "generation 999999 does not exist");
    }

    #[tokio::test]
    async fn reveals_the_model_only_when_the_campaign_says_so() {
        let db = fresh_db().await;
        let (campaign, user_id, generation_id) = one_card(&db, "a").await;
        let blind = rate(&db, user_id, generation_id, Label::Up).await.unwrap();
        assert_eq!(blind.model, None);

        let mut revealing: campaign::ActiveModel = campaign.into();
        revealing.reveal_models = Set(true);
        let campaign = sea_orm::ActiveModelTrait::update(revealing, &db)
            .await
            .unwrap();
        let other = annotators::browser_annotator(&db, "b").await.unwrap();
        let card = cards::next_card(&db, &campaign, Some(other.id))
            .await
            .unwrap()
            .unwrap();
        let revealed = rate(&db, other.id, card.generation_id, Label::Up)
            .await
            .unwrap();
        assert_eq!(revealed.model.as_deref(), Some("Model 0"));
    }
}

//! Campaigns: finding the one a request is about, and how far its rating has come.

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};

use crate::entities::{campaign, generation, rating};
use crate::{CoreError, CoreResult};

/// The campaign named by `slug`, or the oldest campaign when no slug is given (what `/`
/// shows). `Ok(None)` means there is no campaign at all yet.
pub async fn resolve(
    db: &impl ConnectionTrait,
    slug: Option<&str>,
) -> CoreResult<Option<campaign::Model>> {
    match slug {
        Some(slug) => campaign::Entity::find()
            .filter(campaign::Column::Slug.eq(slug))
            .one(db)
            .await?
            .map(Some)
            .ok_or_else(|| CoreError::not_found("campaign", slug)),
        None => Ok(campaign::Entity::find()
            .order_by_asc(campaign::Column::Id)
            .one(db)
            .await?),
    }
}

/// What a new campaign is made of.
#[derive(Debug, Clone)]
pub struct NewCampaign {
    pub slug: String,
    pub title: String,
    pub guidelines: String,
    pub overlap: i32,
    pub reveal_models: bool,
    /// The license of the datasets exported from it, as a Hub license id.
    pub license: String,
    /// Whether its leaderboard can be seen without signing in.
    pub public_board: bool,
}

impl NewCampaign {
    /// A blind campaign with the default overlap of 3 and no guidelines.
    pub fn new(slug: impl Into<String>, title: impl Into<String>) -> Self {
        Self {
            slug: slug.into(),
            title: title.into(),
            guidelines: String::new(),
            overlap: 3,
            reveal_models: false,
            license: "other".to_string(),
            public_board: false,
        }
    }
}

/// Whether `slug` can name a campaign in URLs and commands: 1 to 64 lower-case letters,
/// digits and dashes, starting with a letter or digit.
pub fn valid_slug(slug: &str) -> bool {
    (1..=64).contains(&slug.len())
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !slug.starts_with('-')
}

/// Creates a campaign. Its slug must be new and valid; an overlap below 1 is refused.
pub async fn create(db: &impl ConnectionTrait, new: NewCampaign) -> CoreResult<campaign::Model> {
    if !valid_slug(&new.slug) {
        return Err(CoreError::invalid(
            "slug",
            format!(
                "`{}` must be 1 to 64 lower-case letters, digits and dashes, starting with a letter or digit",
                new.slug
            ),
        ));
    }
    if new.title.trim().is_empty() {
        return Err(CoreError::invalid("title", "must not be empty"));
    }
    crate::export::check_license(&new.license)?;
    if new.overlap < 1 {
        return Err(CoreError::invalid(
            "overlap",
            format!("must be at least 1, got {}", new.overlap),
        ));
    }
    Ok(campaign::Entity::insert(campaign::ActiveModel {
        slug: Set(new.slug),
        title: Set(new.title),
        guidelines: Set(new.guidelines),
        overlap: Set(new.overlap),
        reveal_models: Set(new.reveal_models),
        license: Set(new.license),
        public_board: Set(new.public_board),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    })
    .exec_with_returning(db)
    .await?)
}

/// All campaigns, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> CoreResult<Vec<campaign::Model>> {
    Ok(campaign::Entity::find()
        .order_by_asc(campaign::Column::Id)
        .all(db)
        .await?)
}

/// How far a campaign's rating has come, overall and for one annotator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    pub campaign: String,
    /// Responses in the campaign.
    pub generations: u64,
    /// Ratings the campaign asks for: generations × overlap.
    pub target: u64,
    /// Ratings stored so far.
    pub ratings: u64,
    /// Responses that have all the ratings they need.
    pub completed: u64,
    /// Ratings by the annotator who asked.
    pub rated_by_you: u64,
}

#[derive(FromQueryResult)]
struct Totals {
    generations: i64,
    ratings: Option<i64>,
}

/// Reads the counters kept on `generation`, not the rating table, except for the
/// annotator's own count (bounded by what one person can rate).
pub async fn progress(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
    annotator: Option<i32>,
) -> CoreResult<Progress> {
    let totals = generation::Entity::find()
        .select_only()
        .column_as(generation::Column::Id.count(), "generations")
        .column_as(
            Expr::col(generation::Column::RatingCount)
                .sum()
                .cast_as("bigint"),
            "ratings",
        )
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .into_model::<Totals>()
        .one(db)
        .await?
        .unwrap_or(Totals {
            generations: 0,
            ratings: None,
        });
    let completed = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(generation::Column::RatingCount.gte(campaign.overlap))
        .count(db)
        .await?;
    let rated_by_you = match annotator {
        Some(user_id) => {
            rating::Entity::find()
                .join(JoinType::InnerJoin, rating::Relation::Generation.def())
                .filter(rating::Column::UserId.eq(user_id))
                .filter(generation::Column::CampaignId.eq(campaign.id))
                .count(db)
                .await?
        }
        None => 0,
    };
    let generations = totals.generations.max(0) as u64;
    Ok(Progress {
        campaign: campaign.slug.clone(),
        generations,
        target: generations * campaign.overlap.max(0) as u64,
        ratings: totals.ratings.unwrap_or(0).max(0) as u64,
        completed,
        rated_by_you,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::fresh_db;

    #[tokio::test]
    async fn refuses_an_overlap_below_one_and_a_taken_slug() {
        let db = fresh_db().await;
        for bad in ["", "Haiku", "with space", "-lead", "slash/es"] {
            let err = create(&db, NewCampaign::new(bad, "A")).await.unwrap_err();
            assert!(err.to_string().starts_with("invalid slug"), "{bad}: {err}");
        }
        let err = create(&db, NewCampaign::new("ok", " ")).await.unwrap_err();
        assert_eq!(err.to_string(), "invalid title: must not be empty");
        let zero = NewCampaign {
            overlap: 0,
            ..NewCampaign::new("a", "A")
        };
        let err = create(&db, zero).await.unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid overlap: must be at least 1, got 0"
        );
        create(&db, NewCampaign::new("a", "A")).await.unwrap();
        assert!(create(&db, NewCampaign::new("a", "Again")).await.is_err());
        assert_eq!(list(&db).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn resolves_the_oldest_by_default_and_names_an_unknown_slug() {
        let db = fresh_db().await;
        assert_eq!(resolve(&db, None).await.unwrap(), None);
        let first = create(&db, NewCampaign::new("first", "First"))
            .await
            .unwrap();
        create(&db, NewCampaign::new("second", "Second"))
            .await
            .unwrap();
        assert_eq!(
            resolve(&db, None).await.unwrap().map(|c| c.id),
            Some(first.id)
        );
        assert_eq!(
            resolve(&db, Some("second")).await.unwrap().map(|c| c.slug),
            Some("second".to_string())
        );
        let err = resolve(&db, Some("nope")).await.unwrap_err();
        assert_eq!(err.to_string(), "campaign nope does not exist");
    }
}

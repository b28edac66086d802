//! Campaigns: finding the one a request is about, and how far its rating has come.

pub mod demo;
pub mod models;
pub mod prompts;
pub mod responses;

use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult,
    JoinType, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, RelationTrait,
};
use serde::{Deserialize, Serialize};

use crate::db::entities::{campaign, generation, rating};
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
    /// Whether it deals cards and takes ratings.
    pub open: bool,
    /// The system prompt of prompts that have none of their own.
    pub system_prompt: Option<String>,
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
            open: true,
            system_prompt: None,
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
    check(&new)?;
    if campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(new.slug.as_str()))
        .one(db)
        .await?
        .is_some()
    {
        return Err(CoreError::Conflict(format!(
            "a campaign `{}` exists already; choose another slug",
            new.slug
        )));
    }
    let mut row = campaign::ActiveModel {
        slug: Set(new.slug.clone()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    };
    apply(&mut row, new);
    Ok(campaign::Entity::insert(row)
        .exec_with_returning(db)
        .await?)
}

/// Changes the settings of the campaign `slug` (everything but the slug). A lower overlap
/// stops offering responses that have enough ratings under it; a higher one offers them
/// again.
pub async fn update(
    db: &impl ConnectionTrait,
    slug: &str,
    settings: NewCampaign,
) -> CoreResult<campaign::Model> {
    check(&settings)?;
    let existing = resolve(db, Some(slug))
        .await?
        .ok_or_else(|| CoreError::not_found("campaign", slug))?;
    let mut row: campaign::ActiveModel = existing.into();
    apply(&mut row, settings);
    Ok(row.update(db).await?)
}

fn check(new: &NewCampaign) -> CoreResult<()> {
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
    Ok(())
}

fn apply(row: &mut campaign::ActiveModel, new: NewCampaign) {
    row.title = Set(new.title.trim().to_string());
    row.guidelines = Set(new.guidelines);
    row.overlap = Set(new.overlap);
    row.reveal_models = Set(new.reveal_models);
    row.license = Set(new.license);
    row.public_board = Set(new.public_board);
    row.open = Set(new.open);
    row.system_prompt = Set(new.system_prompt.filter(|s| !s.trim().is_empty()));
}

/// Refuses rating in a campaign whose organiser closed it.
pub fn require_open(campaign: &campaign::Model) -> CoreResult<()> {
    if campaign.open {
        Ok(())
    } else {
        Err(CoreError::forbidden(format!(
            "rating in `{}` is closed; its organiser may open it again",
            campaign.slug
        )))
    }
}

/// A line of the campaigns page: the campaign and its counts.
#[derive(Debug, Clone)]
pub struct Overview {
    pub campaign: campaign::Model,
    pub prompts: u64,
    pub progress: Progress,
}

/// Every campaign with its prompts, responses and ratings, oldest first.
pub async fn overview(db: &impl ConnectionTrait) -> CoreResult<Vec<Overview>> {
    use crate::db::entities::prompt;
    let mut lines = Vec::new();
    for campaign in list(db).await? {
        let prompts = prompt::Entity::find()
            .filter(prompt::Column::CampaignId.eq(campaign.id))
            .count(db)
            .await?;
        let progress = progress(db, &campaign, None).await?;
        lines.push(Overview {
            campaign,
            prompts,
            progress,
        });
    }
    Ok(lines)
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
        assert!(matches!(
            create(&db, NewCampaign::new("a", "Again")).await,
            Err(CoreError::Conflict(_))
        ));
        assert_eq!(list(&db).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn settings_change_and_a_closed_campaign_takes_no_ratings() {
        use crate::testing::{fresh_store, small_campaign};
        let store = fresh_store().await;
        let db = store.db().clone();
        let campaign = small_campaign(&db, 2, 2).await;
        let user = crate::accounts::guests::browser_annotator(&db, "x")
            .await
            .unwrap();
        let settings = NewCampaign {
            title: "  Renamed ".into(),
            overlap: 5,
            open: false,
            system_prompt: Some("Answer in French.".into()),
            ..NewCampaign::new(campaign.slug.clone(), "unused")
        };
        let changed = update(&db, &campaign.slug, settings.clone()).await.unwrap();
        assert_eq!(
            (changed.title.as_str(), changed.overlap, changed.open),
            ("Renamed", 5, false)
        );
        assert!(matches!(
            update(&db, "nope", settings.clone()).await,
            Err(CoreError::NotFound { .. })
        ));
        let closed =
            crate::rating::deal::deal(&store, &changed, user.id, 1, &[], chrono::Utc::now())
                .await
                .unwrap_err();
        assert!(closed.to_string().contains("closed"), "{closed}");
        let generation = generation::Entity::find().one(&db).await.unwrap().unwrap();
        let refused = crate::rating::rate::rate(
            &store,
            user.id,
            crate::rating::rate::NewRating::new(generation.id, crate::Label::Up),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, CoreError::Forbidden(_)));

        let reopened = update(
            &db,
            &campaign.slug,
            NewCampaign {
                open: true,
                ..settings
            },
        )
        .await
        .unwrap();
        let cards =
            crate::rating::deal::deal(&store, &reopened, user.id, 1, &[], chrono::Utc::now())
                .await
                .unwrap();
        assert_eq!(
            cards[0].system_prompt.as_deref(),
            Some("Answer in French."),
            "prompts without their own take the campaign's"
        );
        let lines = overview(&db).await.unwrap();
        assert_eq!((lines[0].prompts, lines[0].progress.generations), (2, 4));
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

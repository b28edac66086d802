//! Campaigns: finding the one a request is about, and how far its rating has come.

pub mod categories;
pub mod conversation;
pub mod demo;
pub mod markdown;
pub mod models;
pub mod prompts;
pub mod responses;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder,
};
use swipeset_wire::{CampaignInfo, CampaignSettings};

use crate::db::entities::campaign;
use crate::{CoreError, CoreResult};

/// The campaign named by `slug`, or `NotFound` naming it.
pub async fn get(db: &impl ConnectionTrait, slug: &str) -> CoreResult<campaign::Model> {
    campaign::Entity::find()
        .filter(campaign::Column::Slug.eq(slug))
        .one(db)
        .await?
        .ok_or_else(|| CoreError::not_found("campaign", slug))
}

/// The campaign named by `slug`, or the oldest campaign when no slug is given (what `/`
/// shows). `Ok(None)` means there is no campaign at all yet.
pub async fn resolve(
    db: &impl ConnectionTrait,
    slug: Option<&str>,
) -> CoreResult<Option<campaign::Model>> {
    match slug {
        Some(slug) => get(db, slug).await.map(Some),
        None => Ok(campaign::Entity::find()
            .order_by_asc(campaign::Column::Id)
            .one(db)
            .await?),
    }
}

/// About one card in this many is a gold card, unless the campaign says otherwise.
pub const DEFAULT_GOLD_EVERY: i32 = 10;

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
    /// When the raters page flags a rater.
    pub flags: RaterFlags,
    /// About one card in this many is a gold card (`crate::rating::gold`); 0 deals none.
    pub gold_every: i32,
    /// Stop collecting votes on a response once its label is settled, `overlap` being the
    /// most it gets (`crate::rating::adaptive`).
    pub adaptive_overlap: bool,
    /// A guest's votes count only once they have made this many decisions, a right gold
    /// vote among them where there is gold (`crate::rating::hold_back`); 0: at once.
    pub guest_hold_back: i32,
    /// Show prompts and responses on cards as markdown (code, lists, tables), made safe on
    /// the server; off, as written.
    pub render_markdown: bool,
    /// The metadata field that sorts prompts into categories (`topic`, `language`).
    pub category_field: Option<String>,
}

/// The most decisions a guest can be held back for: more would hold slots for long.
pub const MAX_GUEST_HOLD_BACK: i32 = 50;

/// A campaign's thresholds for flagging raters on the raters page
/// (`crate::moderation::raters`). An organiser whose task is quick to judge lowers the time;
/// one whose raters disagree by nature (taste, humour) lowers the agreement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RaterFlags {
    /// Flag a rater whose agreement with the others' majority has a 95% upper bound below
    /// this, in percent.
    pub agreement_pct: i32,
    /// Flag a rater who takes under this many milliseconds on more than half of their
    /// decisions.
    pub fast_ms: i32,
    /// Flag a rater whose accuracy on gold cards has a 95% upper bound below this, in
    /// percent.
    pub gold_pct: i32,
}

impl Default for RaterFlags {
    fn default() -> Self {
        Self {
            agreement_pct: 60,
            fast_ms: 1_000,
            gold_pct: 60,
        }
    }
}

impl RaterFlags {
    /// The campaign's thresholds.
    pub fn of(campaign: &campaign::Model) -> Self {
        Self {
            agreement_pct: campaign.flag_agreement_pct,
            fast_ms: campaign.flag_fast_ms,
            gold_pct: campaign.flag_gold_pct,
        }
    }
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
            flags: RaterFlags::default(),
            gold_every: DEFAULT_GOLD_EVERY,
            adaptive_overlap: false,
            guest_hold_back: 0,
            render_markdown: true,
            category_field: None,
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
    let existing = get(db, slug).await?;
    let was_adaptive = existing.adaptive_overlap;
    let old_category = existing.category_field.clone();
    let mut row: campaign::ActiveModel = existing.into();
    apply(&mut row, settings);
    let saved = row.update(db).await?;
    if saved.category_field != old_category {
        categories::recompute(db, &saved).await?;
    }
    match (was_adaptive, saved.adaptive_overlap) {
        (false, true) => crate::rating::adaptive::settle_all(db, &saved).await?,
        (true, false) => crate::rating::adaptive::unsettle_all(db, &saved).await?,
        _ => {}
    }
    Ok(saved)
}

fn check(new: &NewCampaign) -> CoreResult<()> {
    if new.title.trim().is_empty() {
        return Err(CoreError::invalid("title", "must not be empty"));
    }
    check_license(&new.license)?;
    if new.overlap < 1 {
        return Err(CoreError::invalid(
            "overlap",
            format!("must be at least 1, got {}", new.overlap),
        ));
    }
    if !(1..=100).contains(&new.flags.agreement_pct) {
        return Err(CoreError::invalid(
            "flag_agreement_pct",
            format!(
                "must be a percentage from 1 to 100, got {}",
                new.flags.agreement_pct
            ),
        ));
    }
    if !(1..=100).contains(&new.flags.gold_pct) {
        return Err(CoreError::invalid(
            "flag_gold_pct",
            format!(
                "must be a percentage from 1 to 100, got {}",
                new.flags.gold_pct
            ),
        ));
    }
    if !(0..=1_000).contains(&new.gold_every) {
        return Err(CoreError::invalid(
            "gold_every",
            format!(
                "must be from 0 (no gold cards) to 1000, got {}",
                new.gold_every
            ),
        ));
    }
    if !(0..=MAX_GUEST_HOLD_BACK).contains(&new.guest_hold_back) {
        return Err(CoreError::invalid(
            "guest_hold_back",
            format!(
                "must be from 0 (count guests' votes at once) to {MAX_GUEST_HOLD_BACK} decisions, got {}",
                new.guest_hold_back
            ),
        ));
    }
    if let Some(field) = &new.category_field {
        categories::check_field(field.trim())?;
    }
    if !(1..=600_000).contains(&new.flags.fast_ms) {
        return Err(CoreError::invalid(
            "flag_fast_ms",
            format!(
                "must be from 1 to 600000 milliseconds, got {}",
                new.flags.fast_ms
            ),
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
    row.flag_agreement_pct = Set(new.flags.agreement_pct);
    row.flag_fast_ms = Set(new.flags.fast_ms);
    row.flag_gold_pct = Set(new.flags.gold_pct);
    row.gold_every = Set(new.gold_every);
    row.adaptive_overlap = Set(new.adaptive_overlap);
    row.guest_hold_back = Set(new.guest_hold_back);
    row.render_markdown = Set(new.render_markdown);
    row.category_field = Set(new
        .category_field
        .map(|f| f.trim().to_string())
        .filter(|f| !f.is_empty()));
}

/// Refuses rating in a campaign whose organiser closed it, and undoing or skipping there
/// too: each moves votes or slots, and a closed campaign's figures stand still.
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

/// A license as the Hub's front matter spells it: an SPDX-like lower-case id.
pub(crate) fn check_license(license: &str) -> Result<(), CoreError> {
    let ok = !license.is_empty()
        && license.len() <= 64
        && license
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.'));
    if ok {
        Ok(())
    } else {
        Err(CoreError::invalid(
            "license",
            format!(
                "expected a Hub license id such as `cc-by-4.0` or `apache-2.0`, got `{license}`"
            ),
        ))
    }
}

/// All campaigns, oldest first.
pub async fn list(db: &impl ConnectionTrait) -> CoreResult<Vec<campaign::Model>> {
    Ok(campaign::Entity::find()
        .order_by_asc(campaign::Column::Id)
        .all(db)
        .await?)
}

/// The campaign as a rater sees it: its guidelines also as HTML made safe on the server.
pub fn info(c: &campaign::Model) -> CampaignInfo {
    CampaignInfo {
        slug: c.slug.clone(),
        title: c.title.clone(),
        guidelines: c.guidelines.clone(),
        guidelines_html: markdown::to_safe_html(&c.guidelines, markdown::Flavor::Page),
        reveal_models: c.reveal_models,
    }
}

/// The campaign's settings as the admin's form shows them (no system prompt is `""`).
pub fn settings(c: &campaign::Model) -> CampaignSettings {
    CampaignSettings {
        slug: c.slug.clone(),
        title: c.title.clone(),
        guidelines: c.guidelines.clone(),
        overlap: c.overlap,
        reveal_models: c.reveal_models,
        open: c.open,
        public_board: c.public_board,
        license: c.license.clone(),
        system_prompt: c.system_prompt.clone().unwrap_or_default(),
        flag_agreement_pct: c.flag_agreement_pct,
        flag_fast_ms: c.flag_fast_ms,
        flag_gold_pct: c.flag_gold_pct,
        gold_every: c.gold_every,
        adaptive_overlap: c.adaptive_overlap,
        guest_hold_back: c.guest_hold_back,
        render_markdown: c.render_markdown,
        category_field: c.category_field.clone().unwrap_or_default(),
    }
}

/// What the admin's form saves; the slug and license are taken without surrounding spaces.
impl From<CampaignSettings> for NewCampaign {
    fn from(s: CampaignSettings) -> Self {
        Self {
            slug: s.slug.trim().to_string(),
            title: s.title,
            guidelines: s.guidelines,
            overlap: s.overlap,
            reveal_models: s.reveal_models,
            license: s.license.trim().to_string(),
            public_board: s.public_board,
            open: s.open,
            system_prompt: Some(s.system_prompt),
            flags: RaterFlags {
                agreement_pct: s.flag_agreement_pct,
                fast_ms: s.flag_fast_ms,
                gold_pct: s.flag_gold_pct,
            },
            gold_every: s.gold_every,
            adaptive_overlap: s.adaptive_overlap,
            guest_hold_back: s.guest_hold_back,
            render_markdown: s.render_markdown,
            category_field: Some(s.category_field),
        }
    }
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

//! The audit log: every admin action on raters, responses and ratings, written in the same transaction as the
//! action itself, so that nothing happens without its line and no line without its action.

use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, QueryOrder, QuerySelect};

use super::Actor;
use crate::CoreResult;
use crate::db::entities::audit_log;

/// What an admin did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ExcludeRater,
    IncludeRater,
    HideResponse,
    ShowResponse,
    DismissFlags,
    DeleteRating,
    MarkGold,
    UnmarkGold,
}

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Action::ExcludeRater => "exclude_rater",
            Action::IncludeRater => "include_rater",
            Action::HideResponse => "hide_response",
            Action::ShowResponse => "show_response",
            Action::DismissFlags => "dismiss_flags",
            Action::DeleteRating => "delete_rating",
            Action::MarkGold => "mark_gold",
            Action::UnmarkGold => "unmark_gold",
        }
    }
}

/// One line of the log, as a write job records it.
pub(crate) struct Entry<'a> {
    pub actor: &'a Actor,
    pub action: Action,
    pub campaign_id: Option<i32>,
    pub target: String,
    pub reason: &'a str,
    pub at: chrono::DateTime<chrono::Utc>,
}

pub(crate) async fn record(db: &impl ConnectionTrait, entry: Entry<'_>) -> CoreResult<()> {
    audit_log::Entity::insert(audit_log::ActiveModel {
        created_at: Set(entry.at),
        actor_id: Set(entry.actor.id()),
        actor: Set(entry.actor.name().to_string()),
        action: Set(entry.action.name().to_string()),
        campaign_id: Set(entry.campaign_id),
        target: Set(entry.target),
        reason: Set(entry.reason.to_string()),
        ..Default::default()
    })
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// The newest `limit` lines, newest first.
pub async fn recent(db: &impl ConnectionTrait, limit: u64) -> CoreResult<Vec<audit_log::Model>> {
    Ok(audit_log::Entity::find()
        .order_by_desc(audit_log::Column::Id)
        .limit(limit)
        .all(db)
        .await?)
}

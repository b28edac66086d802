//! Ratings that do not count for now: those of a rater excluded from the campaign
//! (`super::exclusion`) and those on a hidden response (`super::hiding`). They move from
//! `rating` to `excluded_rating` with every column (their ids too), so the counter
//! triggers take them out of the leaderboard, the agreement figures, the labels and the
//! exports exactly as undoing each would, and the recount (`board::aggregates::rebuild`,
//! which reads `rating`) agrees without knowing about either. A set-aside rating moves back
//! once neither holds: including a rater does not bring back their votes on a response
//! that is still hidden, nor does showing a response bring back an excluded rater's.

use sea_orm::sea_query::{Expr, Query, SelectStatement, SimpleExpr};
use sea_orm::{ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter};

use crate::campaign::responses;
use crate::db::entities::{excluded_rating, generation, lease, rater_exclusion, rating};
use crate::{CoreError, CoreResult};

/// Whose ratings move.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scope {
    /// A rater's, in the campaign.
    Rater(i32),
    /// Everyone's, on one response.
    Response(i32),
}

/// A rating's columns, in the same order in `rating` and in `excluded_rating` (which adds
/// the campaign).
const RATED: [rating::Column; 7] = [
    rating::Column::Id,
    rating::Column::UserId,
    rating::Column::GenerationId,
    rating::Column::Label,
    rating::Column::CreatedAt,
    rating::Column::ClientId,
    rating::Column::DecisionMs,
];
const SET_ASIDE: [excluded_rating::Column; 7] = [
    excluded_rating::Column::Id,
    excluded_rating::Column::UserId,
    excluded_rating::Column::GenerationId,
    excluded_rating::Column::Label,
    excluded_rating::Column::CreatedAt,
    excluded_rating::Column::ClientId,
    excluded_rating::Column::DecisionMs,
];

/// `INSERT INTO table (columns) SELECT …`: how many rows it copied.
pub(crate) async fn copy_rows<E: EntityTrait>(
    txn: &DatabaseTransaction,
    table: E,
    columns: impl IntoIterator<Item = E::Column>,
    select: SelectStatement,
) -> CoreResult<u64> {
    let copy = Query::insert()
        .into_table(table)
        .columns(columns)
        .select_from(select)
        .map_err(|e| CoreError::Db(sea_orm::DbErr::Custom(e.to_string())))?
        .to_owned();
    let backend = txn.get_database_backend();
    Ok(txn.execute(backend.build(&copy)).await?.rows_affected())
}

/// The counted ratings in `scope`.
fn counted(campaign_id: i32, scope: Scope) -> SimpleExpr {
    match scope {
        Scope::Rater(user_id) => rating::Column::UserId
            .eq(user_id)
            .and(rating::Column::GenerationId.in_subquery(responses::ids_in(campaign_id))),
        Scope::Response(generation_id) => rating::Column::GenerationId.eq(generation_id),
    }
}

/// The set-aside ratings in `scope` that may count again: their rater is not excluded from
/// the campaign and their response is neither hidden nor a gold card since (whose votes
/// never count).
fn countable(campaign_id: i32, scope: Scope) -> SimpleExpr {
    let in_scope = match scope {
        Scope::Rater(user_id) => excluded_rating::Column::UserId.eq(user_id),
        Scope::Response(generation_id) => excluded_rating::Column::GenerationId.eq(generation_id),
    };
    let rater_excluded = Query::select()
        .expr(Expr::val(1))
        .from(rater_exclusion::Entity)
        .and_where(rater_exclusion::Column::CampaignId.eq(campaign_id))
        .and_where(
            Expr::col((rater_exclusion::Entity, rater_exclusion::Column::UserId))
                .equals((excluded_rating::Entity, excluded_rating::Column::UserId)),
        )
        .to_owned();
    let hidden = Query::select()
        .column(generation::Column::Id)
        .from(generation::Entity)
        .and_where(generation::Column::CampaignId.eq(campaign_id))
        .cond_where(
            sea_orm::Condition::any()
                .add(generation::Column::HiddenAt.is_not_null())
                .add(generation::Column::GoldLabel.is_not_null()),
        )
        .to_owned();
    excluded_rating::Column::CampaignId
        .eq(campaign_id)
        .and(in_scope)
        .and(Expr::exists(rater_excluded).not())
        .and(excluded_rating::Column::GenerationId.not_in_subquery(hidden))
}

/// Moves the counted ratings in `scope` to `excluded_rating` and ends the leases in it; the
/// triggers count both out. How many ratings moved.
pub(crate) async fn set_aside(
    txn: &DatabaseTransaction,
    campaign_id: i32,
    scope: Scope,
) -> CoreResult<u64> {
    let copied = copy_rows(
        txn,
        excluded_rating::Entity,
        SET_ASIDE
            .into_iter()
            .chain([excluded_rating::Column::CampaignId]),
        Query::select()
            .columns(RATED)
            .expr(Expr::val(campaign_id))
            .from(rating::Entity)
            .and_where(counted(campaign_id, scope))
            .to_owned(),
    )
    .await?;
    let deleted = rating::Entity::delete_many()
        .filter(counted(campaign_id, scope))
        .exec(txn)
        .await?
        .rows_affected;
    if copied != deleted {
        // Inside one transaction on the writer this cannot happen; if it does, nothing moves.
        return Err(CoreError::Conflict(format!(
            "copied {copied} ratings but removed {deleted}; nothing was changed"
        )));
    }
    let leases = match scope {
        Scope::Rater(user_id) => lease::Column::UserId
            .eq(user_id)
            .and(lease::Column::GenerationId.in_subquery(responses::ids_in(campaign_id))),
        Scope::Response(generation_id) => lease::Column::GenerationId.eq(generation_id),
    };
    lease::Entity::delete_many()
        .filter(leases)
        .exec(txn)
        .await?;
    Ok(deleted)
}

/// Moves the set-aside ratings in `scope` that may count again back to `rating`; the
/// triggers count them in. Run after the exclusion or the hiding that kept them out has
/// ended. How many ratings moved.
pub(crate) async fn restore(
    txn: &DatabaseTransaction,
    campaign_id: i32,
    scope: Scope,
) -> CoreResult<u64> {
    let restored = copy_rows(
        txn,
        rating::Entity,
        RATED,
        Query::select()
            .columns(SET_ASIDE)
            .from(excluded_rating::Entity)
            .and_where(countable(campaign_id, scope))
            .to_owned(),
    )
    .await?;
    let removed = excluded_rating::Entity::delete_many()
        .filter(countable(campaign_id, scope))
        .exec(txn)
        .await?
        .rows_affected;
    if restored != removed {
        return Err(CoreError::Conflict(format!(
            "restored {restored} ratings but removed {removed}; nothing was changed"
        )));
    }
    Ok(restored)
}

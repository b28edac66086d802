//! Raters' flags on cards, and the admin's queue of flagged responses.
//!
//! A rater flags a card instead of rating it (broken, harmful, revealing its model, or
//! something else they describe): the flag is stored, one per rater and response (a second
//! one replaces the first), and the card is skipped for them, so their deck moves on. Any
//! rater who may rate in the campaign may flag its cards; the per-rater request limits of
//! the rating endpoints apply. An admin resolves a response's open flags by hiding it
//! (`super::hiding`) or by dismissing them, recorded in the audit log either way.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use swipeset_wire::{FlagKind, FlagNote, FlagQueueReply, FlagReply, FlaggedResponse, RatingNote};

use super::Actor;
use super::audit::{self, Action, Entry};
use crate::db::entities::{
    campaign, card_flag, excluded_rating, generation, model, prompt, rating, user,
};
use crate::db::store::{Store, Write, WriteJob};
use crate::rating::rate::response_with_campaign;
use crate::{CoreError, CoreResult, Label};

/// The longest note a flag keeps.
pub const MAX_NOTE_CHARS: usize = 500;
/// Responses the queue lists at most, of each kind (flagged, hidden).
const QUEUE_LIMIT: u64 = 50;
/// Open flags the queue reads at most: past this many, the oldest wait for the next page
/// load (a flood of flags cannot make the page slow).
const OPEN_FLAGS_READ: u64 = 2_000;
/// Flags and ratings shown per response.
const PER_RESPONSE: u64 = 50;

/// `note` as stored: trimmed, `None` when blank, required for `Other`.
fn note(kind: FlagKind, note: Option<&str>) -> CoreResult<Option<String>> {
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if let Some(text) = note
        && text.chars().count() > MAX_NOTE_CHARS
    {
        return Err(CoreError::invalid(
            "note",
            format!("at most {MAX_NOTE_CHARS} characters"),
        ));
    }
    if kind == FlagKind::Other && note.is_none() {
        return Err(CoreError::invalid(
            "note",
            "say what is wrong with the card when it is none of the listed reasons",
        ));
    }
    Ok(note.map(str::to_string))
}

/// `user_id` flags `response_id` as `kind` (with an optional note) and skips it.
pub async fn flag(
    store: &Store,
    user_id: i32,
    response_id: i32,
    kind: FlagKind,
    note_text: Option<&str>,
) -> CoreResult<FlagReply> {
    let job = Flag {
        user_id,
        response_id,
        kind,
        note: note(kind, note_text)?,
        at: Utc::now(),
    };
    store.run(job).await
}

#[derive(Debug, Clone)]
struct Flag {
    user_id: i32,
    response_id: i32,
    kind: FlagKind,
    note: Option<String>,
    at: DateTime<Utc>,
}

impl WriteJob for Flag {
    type Output = FlagReply;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<FlagReply>> {
        let Self {
            user_id,
            response_id,
            kind,
            note,
            at,
        } = self;
        let (response, campaign) = response_with_campaign(txn, response_id).await?;
        crate::campaign::require_open(&campaign)?;
        super::exclusion::require_included(txn, campaign.id, user_id).await?;
        let earlier = card_flag::Entity::find()
            .filter(card_flag::Column::UserId.eq(user_id))
            .filter(card_flag::Column::GenerationId.eq(response_id))
            .one(txn)
            .await?;
        card_flag::Entity::insert(card_flag::ActiveModel {
            campaign_id: Set(campaign.id),
            generation_id: Set(response.id),
            user_id: Set(user_id),
            kind: Set(kind.name().to_string()),
            note: Set(note),
            created_at: Set(at),
            resolved_at: Set(None),
            ..Default::default()
        })
        .on_conflict(
            OnConflict::columns([card_flag::Column::UserId, card_flag::Column::GenerationId])
                .update_columns([
                    card_flag::Column::Kind,
                    card_flag::Column::Note,
                    card_flag::Column::CreatedAt,
                    card_flag::Column::ResolvedAt,
                ])
                .to_owned(),
        )
        .exec_without_returning(txn)
        .await?;
        // Flagging is instead of rating: the card leaves this rater's deck (unless they
        // rated it already, from another tab).
        let rated = rating::Entity::find()
            .filter(rating::Column::UserId.eq(user_id))
            .filter(rating::Column::GenerationId.eq(response_id))
            .one(txn)
            .await?
            .is_some();
        if !rated {
            crate::rating::skip::record(txn, user_id, response_id).await?;
        }
        Ok(Write::Commit(FlagReply {
            response_id,
            new: earlier.is_none(),
        }))
    }
}

/// Marks the open flags of `response_id` resolved; how many were open.
pub(crate) async fn resolve(
    txn: &DatabaseTransaction,
    response_id: i32,
    at: DateTime<Utc>,
) -> CoreResult<u64> {
    Ok(card_flag::Entity::update_many()
        .col_expr(card_flag::Column::ResolvedAt, Expr::value(Some(at)))
        .filter(card_flag::Column::GenerationId.eq(response_id))
        .filter(card_flag::Column::ResolvedAt.is_null())
        .exec(txn)
        .await?
        .rows_affected)
}

/// Resolves the open flags of `response_id` without hiding it: the admin found nothing
/// wrong. How many flags were resolved; a conflict when none was open.
pub async fn dismiss(
    store: &Store,
    campaign: &campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: &str,
) -> CoreResult<u64> {
    let job = Dismiss {
        campaign: campaign.clone(),
        response_id,
        actor,
        reason: super::reason(reason)?,
        at: Utc::now(),
    };
    store.run(job).await
}

#[derive(Debug, Clone)]
struct Dismiss {
    campaign: campaign::Model,
    response_id: i32,
    actor: Actor,
    reason: String,
    at: DateTime<Utc>,
}

impl WriteJob for Dismiss {
    type Output = u64;

    async fn write(self, txn: &DatabaseTransaction) -> CoreResult<Write<u64>> {
        super::response_of(txn, &self.campaign, self.response_id).await?;
        let flags = resolve(txn, self.response_id, self.at).await?;
        if flags == 0 {
            return Err(CoreError::Conflict(format!(
                "response {} in {} has no open flags",
                self.response_id, self.campaign.slug
            )));
        }
        audit::record(
            txn,
            Entry {
                actor: &self.actor,
                action: Action::DismissFlags,
                campaign_id: Some(self.campaign.id),
                target: format!(
                    "response {} in {}: {flags} flag{}",
                    self.response_id,
                    self.campaign.slug,
                    if flags == 1 { "" } else { "s" }
                ),
                reason: &self.reason,
                at: self.at,
            },
        )
        .await?;
        Ok(Write::Commit(flags))
    }
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The admin's queue: responses with open flags, most flagged first (oldest flag first
/// among equals), then hidden responses, newest first; each with its flags and ratings.
pub async fn queue(
    db: &impl ConnectionTrait,
    campaign: &campaign::Model,
) -> CoreResult<FlagQueueReply> {
    let open = card_flag::Entity::find()
        .select_only()
        .column(card_flag::Column::GenerationId)
        .filter(card_flag::Column::CampaignId.eq(campaign.id))
        .filter(card_flag::Column::ResolvedAt.is_null())
        .order_by_asc(card_flag::Column::Id)
        .limit(OPEN_FLAGS_READ)
        .into_tuple::<i32>()
        .all(db)
        .await?;
    let mut counts: Vec<(i32, usize, usize)> = Vec::new();
    for (position, id) in open.into_iter().enumerate() {
        match counts.iter_mut().find(|(r, _, _)| *r == id) {
            Some(entry) => entry.1 += 1,
            None => counts.push((id, 1, position)),
        }
    }
    counts.sort_by_key(|&(_, n, first)| (std::cmp::Reverse(n), first));
    let hidden: Vec<i32> = generation::Entity::find()
        .select_only()
        .column(generation::Column::Id)
        .filter(generation::Column::CampaignId.eq(campaign.id))
        .filter(generation::Column::HiddenAt.is_not_null())
        .order_by_desc(generation::Column::HiddenAt)
        .limit(QUEUE_LIMIT)
        .into_tuple()
        .all(db)
        .await?;
    let flagged: Vec<i32> = counts
        .into_iter()
        .map(|(id, _, _)| id)
        .filter(|id| !hidden.contains(id))
        .take(QUEUE_LIMIT as usize)
        .collect();
    let mut names = Names::default();
    let mut described = Vec::new();
    for ids in [&flagged, &hidden] {
        let mut list = Vec::with_capacity(ids.len());
        for &id in ids {
            if let Some(response) = describe(db, id, &mut names).await? {
                list.push(response);
            }
        }
        described.push(list);
    }
    let hidden = described.pop().unwrap_or_default();
    let flagged = described.pop().unwrap_or_default();
    Ok(FlagQueueReply {
        campaign: campaign.slug.clone(),
        title: campaign.title.clone(),
        flagged,
        hidden,
    })
}

/// Raters' names, read once each.
#[derive(Default)]
struct Names(HashMap<i32, String>);

impl Names {
    async fn of(&mut self, db: &impl ConnectionTrait, user_id: i32) -> CoreResult<String> {
        if let Some(name) = self.0.get(&user_id) {
            return Ok(name.clone());
        }
        let name = user::Entity::find_by_id(user_id)
            .one(db)
            .await?
            .map_or_else(|| format!("user {user_id}"), |u| u.name);
        self.0.insert(user_id, name.clone());
        Ok(name)
    }
}

/// A response as the queue shows it.
async fn describe(
    db: &impl ConnectionTrait,
    response_id: i32,
    names: &mut Names,
) -> CoreResult<Option<FlaggedResponse>> {
    let Some((response, model)) = generation::Entity::find_by_id(response_id)
        .find_also_related(model::Entity)
        .one(db)
        .await?
    else {
        return Ok(None);
    };
    let prompt = prompt::Entity::find_by_id(response.prompt_id)
        .one(db)
        .await?
        .map(|p| p.text)
        .unwrap_or_default();
    let mut flags = Vec::new();
    for flag in card_flag::Entity::find()
        .filter(card_flag::Column::GenerationId.eq(response_id))
        .order_by_desc(card_flag::Column::Id)
        .limit(PER_RESPONSE)
        .all(db)
        .await?
    {
        flags.push(FlagNote {
            rater: names.of(db, flag.user_id).await?,
            kind: FlagKind::from_name(&flag.kind).unwrap_or(FlagKind::Other),
            note: flag.note,
            at: rfc3339(flag.created_at),
            resolved: flag.resolved_at.is_some(),
        });
    }
    flags.sort_by_key(|f| f.resolved);
    let mut ratings = Vec::new();
    let counted = rating::Entity::find()
        .filter(rating::Column::GenerationId.eq(response_id))
        .order_by_asc(rating::Column::Id)
        .limit(PER_RESPONSE)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.user_id, r.label, r.created_at, true));
    let set_aside = excluded_rating::Entity::find()
        .filter(excluded_rating::Column::GenerationId.eq(response_id))
        .order_by_asc(excluded_rating::Column::Id)
        .limit(PER_RESPONSE)
        .all(db)
        .await?
        .into_iter()
        .map(|r| (r.id, r.user_id, r.label, r.created_at, false));
    for (rating_id, user_id, label, at, counted) in counted.chain(set_aside) {
        ratings.push(RatingNote {
            rating_id,
            user_id,
            rater: names.of(db, user_id).await?,
            label: Label::from_is_up(label),
            at: rfc3339(at),
            counted,
        });
    }
    Ok(Some(FlaggedResponse {
        response_id,
        model: super::model_name(model, response.model_id),
        prompt,
        response: response.text,
        hidden_at: response.hidden_at.map(rfc3339),
        flags,
        ratings,
    }))
}

/// How many responses of the campaign are hidden, and their ratings set aside: what the
/// dataset card states.
pub async fn hidden_counts(db: &impl ConnectionTrait, campaign_id: i32) -> CoreResult<(u64, u64)> {
    use sea_orm::PaginatorTrait;
    let hidden = generation::Entity::find()
        .filter(generation::Column::CampaignId.eq(campaign_id))
        .filter(generation::Column::HiddenAt.is_not_null());
    let responses = hidden.clone().count(db).await?;
    let ratings = if responses == 0 {
        0
    } else {
        excluded_rating::Entity::find()
            .filter(excluded_rating::Column::CampaignId.eq(campaign_id))
            .filter(excluded_rating::Column::GenerationId.in_subquery(
                sea_orm::QueryTrait::into_query(
                    hidden.select_only().column(generation::Column::Id),
                ),
            ))
            .count(db)
            .await?
    };
    Ok((responses, ratings))
}

//! Server functions of moderation: raters flag a card (`flag_card`, with `card` for the
//! page that does it); admins see each rater's figures, exclude and include raters, work
//! through the flag queue (hide, show, dismiss a response; delete a rating) and read the
//! audit log of all of it.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use swipeset_wire::{
    AuditLine, DeleteRatingReply, FlagKind, FlagQueueReply, FlagReply, GoldChangeReply, GoldLine,
    Label, NextCardReply, RaterChangeReply, RatersReply, ResponseChangeReply,
};

/// `GET /api/raters?campaign=SLUG` (admins): every rater of the campaign with their
/// figures and flags, most ratings first.
#[server(prefix = "/api", endpoint = "raters", input = GetUrl, output = Json)]
pub async fn raters(campaign: String) -> Result<RatersReply, ApiError> {
    use swipeset_core::moderation::raters;
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let thresholds = swipeset_core::campaign::RaterFlags::of(&campaign);
    let lines = raters::list(store.db(), &campaign)
        .await?
        .into_iter()
        .map(|r| swipeset_wire::RaterLine {
            user_id: r.user_id,
            name: r.name.clone(),
            guest: r.guest,
            ratings: r.ratings,
            held: r.held,
            up_share: r.up_share(),
            agreement: r.agreement(),
            compared: r.compared,
            median_under_ms: r.median_under_ms,
            timed: r.timed,
            skips: r.skips,
            gold: r.gold,
            gold_accuracy: r.gold_accuracy(),
            excluded: r.excluded.clone(),
            flags: r
                .flags
                .iter()
                .filter_map(|f| serde_json::to_value(f).ok())
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect(),
            flag_notes: r.flags.iter().map(|f| f.describe(thresholds)).collect(),
        })
        .collect();
    Ok(RatersReply {
        campaign: campaign.slug,
        title: campaign.title,
        raters: lines,
    })
}

/// `POST /api/exclude_rater` with `{"campaign": "haiku-demo", "user_id": 7, "reason": "…"}`
/// (admins): their ratings there stop counting (they stay stored) and they may not rate
/// there until included again.
#[server(prefix = "/api", endpoint = "exclude_rater", input = Json, output = Json)]
pub async fn exclude_rater(
    campaign: String,
    user_id: i32,
    reason: String,
) -> Result<RaterChangeReply, ApiError> {
    change(campaign, user_id, reason, true).await
}

/// `POST /api/include_rater` with the same body (admins): counts an excluded rater's
/// ratings again.
#[server(prefix = "/api", endpoint = "include_rater", input = Json, output = Json)]
pub async fn include_rater(
    campaign: String,
    user_id: i32,
    reason: String,
) -> Result<RaterChangeReply, ApiError> {
    change(campaign, user_id, reason, false).await
}

#[cfg(feature = "ssr")]
async fn change(
    campaign: String,
    user_id: i32,
    reason: String,
    exclude: bool,
) -> Result<RaterChangeReply, ApiError> {
    use swipeset_core::moderation::exclusion;
    let store = ssr::store()?;
    let actor = admin_actor().await?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let moved = if exclude {
        exclusion::exclude(&store, &campaign, user_id, actor, &reason).await?
    } else {
        exclusion::include(&store, &campaign, user_id, actor, &reason).await?
    };
    Ok(RaterChangeReply {
        excluded: exclude,
        ratings: moved.ratings,
    })
}

/// `GET /api/audit_log[?limit=N]` (admins): the newest admin actions (50 by default, at
/// most 500), newest first.
#[server(prefix = "/api", endpoint = "audit_log", input = GetUrl, output = Json)]
pub async fn audit_log(#[server(default)] limit: Option<u64>) -> Result<Vec<AuditLine>, ApiError> {
    use std::collections::HashMap;
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let limit = limit.unwrap_or(50).clamp(1, 500);
    let lines = swipeset_core::moderation::audit::recent(store.db(), limit).await?;
    let slugs: HashMap<i32, String> = swipeset_core::campaign::list(store.db())
        .await?
        .into_iter()
        .map(|c| (c.id, c.slug))
        .collect();
    Ok(lines
        .into_iter()
        .map(|l| AuditLine {
            id: l.id,
            at: l
                .created_at
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            actor: l.actor,
            action: l.action,
            campaign: l.campaign_id.and_then(|id| slugs.get(&id).cloned()),
            target: l.target,
            reason: l.reason,
        })
        .collect())
}

/// `GET /api/card?response_id=7`: one card, as the rating page shows it, with its campaign:
/// what the page for flagging it shows. For anyone who may rate; 404 once hidden.
#[server(prefix = "/api", endpoint = "card", input = GetUrl, output = Json)]
pub async fn card_preview(response_id: i32) -> Result<NextCardReply, ApiError> {
    let store = ssr::store()?;
    // Who may rate may see a card (as `next_card` shows a first-time visitor one).
    ssr::current_annotator_id(store.db()).await?;
    let (campaign, card) = swipeset_core::rating::deal::card(store.db(), response_id).await?;
    Ok(NextCardReply {
        campaign: Some(swipeset_core::campaign::info(&campaign)),
        card: Some(card),
        rater: ssr::rater_key().await,
    })
}

/// `POST /api/flag_card` with `{"response_id": 7, "kind": "broken", "note": "cut off"}`
/// (`kind`: `broken`, `harmful`, `reveals_model` or `other`, which needs a note; the note
/// is optional otherwise): reports the card to the campaign's admins and skips it for this
/// browser. Flagging again replaces this browser's earlier flag of the card.
#[server(prefix = "/api", endpoint = "flag_card", input = Json, output = Json)]
pub async fn flag_card(
    response_id: i32,
    kind: FlagKind,
    #[server(default)] note: Option<String>,
) -> Result<FlagReply, ApiError> {
    let store = ssr::store()?;
    let user_id = ssr::annotator_id(&store).await?;
    Ok(
        swipeset_core::moderation::flags::flag(&store, user_id, response_id, kind, note.as_deref())
            .await?,
    )
}

/// `GET /api/flag_queue?campaign=SLUG` (admins): responses with open flags, most flagged
/// first, then the hidden ones, each with its flags and its ratings.
#[server(prefix = "/api", endpoint = "flag_queue", input = GetUrl, output = Json)]
pub async fn flag_queue(campaign: String) -> Result<FlagQueueReply, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    Ok(swipeset_core::moderation::flags::queue(store.db(), &campaign).await?)
}

/// What an admin does about a response on the flag queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseAction {
    Hide,
    Show,
    Dismiss,
}

/// `POST /api/moderate_response` with `{"campaign": "haiku-demo", "response_id": 7,
/// "action": "hide", "reason": "…"}` (admins). `hide` takes the response out of the deck,
/// the leaderboard and the exports (its ratings stay stored) and resolves its flags;
/// `show` undoes that; `dismiss` resolves its flags and changes nothing else.
#[server(prefix = "/api", endpoint = "moderate_response", input = Json, output = Json)]
pub async fn moderate_response(
    campaign: String,
    response_id: i32,
    action: ResponseAction,
    reason: String,
) -> Result<ResponseChangeReply, ApiError> {
    use swipeset_core::moderation::{flags, hiding};
    let store = ssr::store()?;
    let actor = admin_actor().await?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    Ok(match action {
        ResponseAction::Hide | ResponseAction::Show => {
            let changed = if action == ResponseAction::Hide {
                hiding::hide(&store, &campaign, response_id, actor, &reason).await?
            } else {
                hiding::show(&store, &campaign, response_id, actor, &reason).await?
            };
            ResponseChangeReply {
                response_id,
                hidden: changed.hidden,
                ratings: changed.ratings,
                flags: changed.flags,
            }
        }
        ResponseAction::Dismiss => ResponseChangeReply {
            response_id,
            hidden: false,
            ratings: 0,
            flags: flags::dismiss(&store, &campaign, response_id, actor, &reason).await?,
        },
    })
}

/// `POST /api/delete_rating` with `{"campaign": "haiku-demo", "rating_id": 41, "reason":
/// "…"}` (admins): deletes one rating for good; it stops counting at once.
#[server(prefix = "/api", endpoint = "delete_rating", input = Json, output = Json)]
pub async fn delete_rating(
    campaign: String,
    rating_id: i32,
    reason: String,
) -> Result<DeleteRatingReply, ApiError> {
    let store = ssr::store()?;
    let actor = admin_actor().await?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let deleted = swipeset_core::moderation::hiding::delete_rating(
        &store, &campaign, rating_id, actor, &reason,
    )
    .await?;
    Ok(DeleteRatingReply {
        rating_id: deleted.rating_id,
        response_id: deleted.response_id,
        user_id: deleted.user_id,
        label: deleted.label,
    })
}

/// The signed-in admin, as the audit log names them; 403 for anyone else.
#[cfg(feature = "ssr")]
async fn admin_actor() -> Result<swipeset_core::moderation::Actor, ApiError> {
    let admin = ssr::caller().await.require_admin()?.clone();
    Ok(swipeset_core::moderation::Actor::Admin {
        id: admin.id,
        name: admin.name,
    })
}

/// `GET /api/gold_cards?campaign=SLUG` (admins): the campaign's gold cards, with how raters
/// did on each.
#[server(prefix = "/api", endpoint = "gold_cards", input = GetUrl, output = Json)]
pub async fn gold_cards(campaign: String) -> Result<Vec<GoldLine>, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    Ok(swipeset_core::rating::gold::items(store.db(), &campaign)
        .await?
        .into_iter()
        .map(|g| GoldLine {
            response_id: g.response_id,
            model: g.model,
            prompt: g.prompt,
            response: g.response,
            expected: Label::from_is_up(g.expected),
            votes: g.votes,
            correct: g.correct,
        })
        .collect())
}

/// `POST /api/set_gold` with `{"campaign": "haiku-demo", "response_id": 7, "expected":
/// "up", "reason": "…"}` (admins): makes the response a gold card expecting that label (or
/// changes the label); `"expected": null` makes it an ordinary response again.
#[server(prefix = "/api", endpoint = "set_gold", input = Json, output = Json)]
pub async fn set_gold(
    campaign: String,
    response_id: i32,
    expected: Option<Label>,
    reason: String,
) -> Result<GoldChangeReply, ApiError> {
    let store = ssr::store()?;
    let actor = admin_actor().await?;
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let change = swipeset_core::rating::gold::mark(
        &store,
        &campaign,
        response_id,
        expected.map(Label::is_up),
        actor,
        &reason,
    )
    .await?;
    Ok(GoldChangeReply {
        response_id,
        expected: change.gold.map(Label::from_is_up),
        votes: change.votes,
    })
}

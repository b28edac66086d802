//! Server functions of the admin's raters page and audit log: each rater's figures in a
//! campaign, excluding and including a rater, and the log of such actions. Admins only.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use swipeset_wire::{AuditLine, RaterChangeReply, RatersReply};

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
            up_share: r.up_share(),
            agreement: r.agreement(),
            compared: r.compared,
            median_under_ms: r.median_under_ms,
            timed: r.timed,
            skips: r.skips,
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
    use swipeset_core::moderation::{Actor, exclusion};
    let store = ssr::store()?;
    let admin = ssr::caller().await.require_admin()?.clone();
    let campaign = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let actor = Actor::Admin {
        id: admin.id,
        name: admin.name,
    };
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

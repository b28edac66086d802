//! The admin's campaign server functions: the list with counts, one campaign's settings
//! and generation status, and saving (creating or editing) a campaign.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use swipeset_wire::{CampaignAdminReply, CampaignLine, CampaignSettings};

/// `GET /api/admin_campaigns` (admins): every campaign with its prompts, responses and
/// ratings.
#[server(prefix = "/api", endpoint = "admin_campaigns", input = GetUrl, output = Json)]
pub async fn admin_campaigns() -> Result<Vec<CampaignLine>, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    Ok(swipeset_core::board::progress::campaign_lines(store.db()).await?)
}

/// `GET /api/admin_campaign?campaign=SLUG` (admins): its settings and, per model, the
/// responses it has and what `swipeset generate` recorded.
#[server(prefix = "/api", endpoint = "admin_campaign", input = GetUrl, output = Json)]
pub async fn admin_campaign(campaign: String) -> Result<CampaignAdminReply, ApiError> {
    use swipeset_core::generate;
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let db = store.db();
    let found = swipeset_core::campaign::resolve(db, Some(&campaign))
        .await?
        .ok_or_else(|| ApiError::new(super::ErrorCode::NotFound, "no campaign"))?;
    Ok(CampaignAdminReply {
        settings: swipeset_core::campaign::settings(&found),
        generation: generate::status::status(db, found.id).await?,
    })
}

/// `POST /api/save_campaign` with `{"settings": {…}, "create": true}` (admins): makes a
/// campaign (`create`) or changes one (the slug names it and does not change).
#[server(prefix = "/api", endpoint = "save_campaign", input = Json, output = Json)]
pub async fn save_campaign(
    settings: CampaignSettings,
    #[server(default)] create: bool,
) -> Result<CampaignSettings, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let db = store.db();
    let slug = settings.slug.trim().to_string();
    let new = settings.into();
    let saved = if create {
        swipeset_core::campaign::create(db, new).await?
    } else {
        let saved = swipeset_core::campaign::update(db, &slug, new).await?;
        // A lower hold-back may release guests held until now.
        swipeset_core::rating::hold_back::release_due(&store, &saved).await?;
        saved
    };
    Ok(swipeset_core::campaign::settings(&saved))
}

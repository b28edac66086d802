//! The export page's "Publish to the Hub": which token the server publishes with (an
//! `HF_TOKEN` secret, or one saved here, sealed, never sent back), publishing the chosen
//! export as a dataset repository, and the scheduled snapshot's last run. Admins only.

// One argument per export option, as the preview takes them.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{ApiError, HubStatusReply, PublishReply};

/// `GET /api/hub_status`: where the token comes from and whose it is, and the snapshot.
#[server(prefix = "/api", endpoint = "hub_status", input = GetUrl, output = Json)]
pub async fn hub_status() -> Result<HubStatusReply, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    status(store.db()).await
}

/// `POST /api/save_hub_token` (`token=…`): checks the token with the Hub (`whoami`), then
/// keeps it sealed. The reply says whose it is; the token never comes back.
#[server(prefix = "/api", endpoint = "save_hub_token", input = Json, output = Json)]
pub async fn save_hub_token(token: String) -> Result<HubStatusReply, ApiError> {
    let store = ssr::store()?;
    let caller = ssr::caller().await;
    caller.require_admin()?;
    let access = ssr::hub_access();
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::bad_request(
            "paste a token from https://huggingface.co/settings/tokens",
        ));
    }
    let client = swipeset_core::hub::HubClient::new(&access.endpoint, token).map_err(hub_error)?;
    let who = client.whoami().await.map_err(hub_error)?;
    if who.role == "read" {
        return Err(ApiError::bad_request(format!(
            "the token of {} is a read token; publishing needs a write token (or a \
             fine-grained token with write access to the repository)",
            who.name
        )));
    }
    swipeset_core::hub::token::save(store.db(), token, &who.name, caller.account().map(|a| a.id))
        .await?;
    tracing::info!(hub_user = %who.name, "a Hub token was saved on the export page");
    status(store.db()).await
}

/// `POST /api/forget_hub_token`: deletes the saved token.
#[server(prefix = "/api", endpoint = "forget_hub_token", input = Json, output = Json)]
pub async fn forget_hub_token() -> Result<HubStatusReply, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    swipeset_core::hub::token::forget(store.db()).await?;
    status(store.db()).await
}

/// `POST /api/publish_to_hub`: the export chosen on the page (the same fields as
/// `export_preview`), published to `repo` (`OWNER/NAME`) as one commit; a new repository
/// is private when `private` is `true`.
#[server(prefix = "/api", endpoint = "publish_to_hub", input = Json, output = Json)]
pub async fn publish_to_hub(
    campaign: String,
    repo: String,
    #[server(default)] private: Option<String>,
    #[server(default)] kind: Option<String>,
    #[server(default)] format: Option<String>,
    #[server(default)] variant: Option<String>,
    #[server(default)] policy: Option<String>,
    #[server(default)] min_votes: Option<String>,
    #[server(default)] threshold: Option<String>,
    #[server(default)] max_pairs_per_prompt: Option<String>,
    #[server(default)] csv_safe: Option<String>,
    #[server(default)] metadata: Option<String>,
) -> Result<PublishReply, ApiError> {
    use std::sync::atomic::Ordering;
    use swipeset_core::export::ExportRequest;
    use swipeset_core::hub::dataset::{PublishError, publish_export};
    use swipeset_core::hub::{HubClient, PublishOutcome, RepoId};

    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let repo: RepoId = repo.trim().parse().map_err(hub_error)?;
    let request = ExportRequest {
        kind,
        format,
        variant,
        policy,
        min_votes,
        threshold,
        max_pairs_per_prompt,
        archive: None,
        csv_safe,
        metadata,
    };
    let (options, _) = request.parse()?;
    let private = matches!(private.as_deref(), Some("true" | "on" | "1"));
    let access = ssr::hub_access();
    let token = match access.env_token.clone() {
        Some(token) => token,
        None => swipeset_core::hub::token::load(store.db())
            .await?
            .ok_or_else(|| {
                ApiError::bad_request(
                    "no Hugging Face token: save one below, or set an HF_TOKEN secret",
                )
            })?,
    };
    let client = HubClient::new(&access.endpoint, &token).map_err(hub_error)?;
    if access.publishing.swap(true, Ordering::SeqCst) {
        return Err(ApiError::new(
            super::ErrorCode::Conflict,
            "another publish is running; try again when it has finished",
        ));
    }
    let _running = Running(access.publishing.clone());
    let published = publish_export(
        store.db(),
        &client,
        &campaign,
        options,
        &repo,
        private,
        None,
    )
    .await
    .map_err(|e| match e {
        PublishError::Hub(hub) => hub_error(hub),
        PublishError::Export(swipeset_core::export::ExportError::Core(core)) => core.into(),
        PublishError::Export(other) => ApiError::new(super::ErrorCode::Conflict, other.to_string()),
    })?;
    let (commit_url, created) = match &published.outcome {
        PublishOutcome::Committed {
            commit_url,
            created,
            ..
        } => (Some(commit_url.clone()), *created),
        PublishOutcome::Unchanged { .. } => (None, false),
    };
    tracing::info!(%repo, commit = ?commit_url, "published from the export page");
    Ok(PublishReply {
        repo: repo.to_string(),
        repo_url: published.outcome.repo_url().to_string(),
        commit_url,
        created,
        rows: published.summary.plan.rows,
    })
}

/// Clears the one-publish-at-a-time flag however the publish ends.
#[cfg(feature = "ssr")]
struct Running(std::sync::Arc<std::sync::atomic::AtomicBool>);

#[cfg(feature = "ssr")]
impl Drop for Running {
    fn drop(&mut self) {
        self.0.store(false, std::sync::atomic::Ordering::SeqCst);
    }
}

/// A Hub failure as the page shows it. The Hub's own 401/403 are not this server's: they
/// travel as a bad request (the message names the Hub's status), so the page does not take
/// them for the admin's own session ending.
#[cfg(feature = "ssr")]
fn hub_error(error: swipeset_core::hub::HubError) -> ApiError {
    use super::ErrorCode;
    let code = match error.status() {
        429 => ErrorCode::TooManyRequests,
        500 => ErrorCode::Internal,
        s if s >= 500 => ErrorCode::Unavailable,
        _ => ErrorCode::BadRequest,
    };
    ApiError::new(code, error.to_string())
}

#[cfg(feature = "ssr")]
async fn status(db: &swipeset_core::DatabaseConnection) -> Result<HubStatusReply, ApiError> {
    let access = ssr::hub_access();
    let saved = swipeset_core::hub::token::describe(db).await?;
    let token_source = if access.env_token.is_some() {
        "env"
    } else if saved.is_some() {
        "saved"
    } else {
        "none"
    };
    let snapshot = access.snapshot.as_ref().map(|s| {
        let last = swipeset_core::sync::lock(&s.last).clone();
        super::SnapshotLine {
            repo: s.repo.to_string(),
            repo_url: s.repo.url(&access.endpoint),
            every_minutes: s.every.as_secs() / 60,
            last_at: last.as_ref().map(|l| l.at.to_rfc3339()),
            last_result: last.as_ref().map(|l| l.result.clone()),
            last_ok: last.as_ref().is_some_and(|l| l.ok),
        }
    });
    Ok(HubStatusReply {
        endpoint: access.endpoint.clone(),
        token_source: token_source.into(),
        token_owner: saved.as_ref().map(|s| s.owner.clone()),
        saved_at: saved.as_ref().map(|s| s.saved_at.to_rfc3339()),
        snapshot,
    })
}

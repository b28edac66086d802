//! The campaign page's Generate section: the models to ask (edited in a form or uploaded
//! as `models.toml`; API keys only by the names of the server's environment variables),
//! starting, pausing and resuming the campaign's run, and how it stands. The live figures
//! come over `GET /api/campaigns/{slug}/generate/events`. Admins only.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{ApiError, GenerateReply, ModelRow};

/// `GET /api/generate_status?campaign=SLUG`: the saved models, the run's state and message,
/// and per model what every run so far recorded.
#[server(prefix = "/api", endpoint = "generate_status", input = GetUrl, output = Json)]
pub async fn generate_status(campaign: String) -> Result<GenerateReply, ApiError> {
    ssr::caller().await.require_admin()?;
    reply(&campaign).await
}

/// `POST /api/save_generate_models` `{"campaign", "models": [ModelRow…]}`: replaces the
/// campaign's models, checked as `models.toml` is. Refused while a run uses them.
#[server(prefix = "/api", endpoint = "save_generate_models", input = Json, output = Json)]
pub async fn save_generate_models(
    campaign: String,
    models: Vec<ModelRow>,
) -> Result<GenerateReply, ApiError> {
    use swipeset_core::generate::runs;
    let caller = ssr::caller().await;
    caller.require_admin()?;
    let store = ssr::store()?;
    let found = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let saved = runs::plan(store.db(), found.id)
        .await?
        .and_then(|p| runs::models_of(&p).ok());
    let file = runs::models_from_rows(&models, saved.as_ref())?;
    runs::save_models(store.db(), found.id, &file, caller.account().map(|a| a.id)).await?;
    reply(&campaign).await
}

/// `POST /api/upload_models_toml` `{"campaign", "toml"}`: the models of a `models.toml`
/// file (errors name the line), saved as the campaign's.
#[server(prefix = "/api", endpoint = "upload_models_toml", input = Json, output = Json)]
pub async fn upload_models_toml(campaign: String, toml: String) -> Result<GenerateReply, ApiError> {
    use swipeset_core::generate::{ModelsFile, runs};
    let caller = ssr::caller().await;
    caller.require_admin()?;
    let store = ssr::store()?;
    let found = swipeset_core::campaign::get(store.db(), &campaign).await?;
    let file = ModelsFile::parse(&toml)?;
    runs::save_models(store.db(), found.id, &file, caller.account().map(|a| a.id)).await?;
    reply(&campaign).await
}

/// `POST /api/start_generation` `{"campaign", "retry_failed": false}`: starts the run (or
/// resumes a paused one); with `retry_failed`, failures of earlier runs are asked again.
#[server(prefix = "/api", endpoint = "start_generation", input = Json, output = Json)]
pub async fn start_generation(
    campaign: String,
    #[server(default)] retry_failed: bool,
) -> Result<GenerateReply, ApiError> {
    ssr::caller().await.require_admin()?;
    let store = ssr::store()?;
    let found = swipeset_core::campaign::get(store.db(), &campaign).await?;
    ssr::runner()?.start(&found, retry_failed).await?;
    reply(&campaign).await
}

/// `POST /api/pause_generation` `{"campaign"}`: pauses the run; what finished is kept.
#[server(prefix = "/api", endpoint = "pause_generation", input = Json, output = Json)]
pub async fn pause_generation(campaign: String) -> Result<GenerateReply, ApiError> {
    ssr::caller().await.require_admin()?;
    let store = ssr::store()?;
    let found = swipeset_core::campaign::get(store.db(), &campaign).await?;
    ssr::runner()?.pause(found.id).await?;
    reply(&campaign).await
}

#[cfg(feature = "ssr")]
async fn reply(slug: &str) -> Result<GenerateReply, ApiError> {
    use swipeset_core::generate::{runs, status};
    let store = ssr::store()?;
    let db = store.db();
    let found = swipeset_core::campaign::get(db, slug).await?;
    let plan = runs::plan(db, found.id).await?;
    let file = plan.as_ref().map(runs::models_of).transpose()?;
    let prompts = swipeset_core::campaign::prompts::count(db, found.id).await?;
    Ok(GenerateReply {
        campaign: found.slug.clone(),
        prompts,
        models: file
            .as_ref()
            .map(|f| f.models.iter().map(runs::row_of).collect())
            .unwrap_or_default(),
        models_toml: file.map(|f| f.to_toml()).unwrap_or_default(),
        progress: ssr::runner()?.progress(found.id).await?,
        lines: status::status(db, found.id).await?,
    })
}

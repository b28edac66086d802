//! The export page's server function: what an export with the chosen options would hold,
//! before anyone downloads it. The download itself is `GET /api/campaigns/{slug}/export`
//! (a streamed body, not a server function).

// One argument per query field, as the download takes them. `#[server]` writes the
// browser's stub without the function's own attributes, so the allowance is the module's.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

#[cfg(feature = "ssr")]
use super::ssr;
use super::{ApiError, ExportPlanReply};

/// `GET /api/export_preview?campaign=SLUG&kind=…&format=…&variant=…&policy=…&min_votes=…
/// &threshold=…&max_pairs_per_prompt=…&csv_safe=…`: the campaigns to choose from and, for the chosen one, how many
/// rows the export would have and what the policy drops. `null` without any campaign. An
/// export with nothing in it is not an error here: `problem` says why. Admins only.
#[server(prefix = "/api", endpoint = "export_preview", input = GetUrl, output = Json)]
pub async fn export_preview(
    #[server(default)] campaign: Option<String>,
    #[server(default)] kind: Option<String>,
    #[server(default)] format: Option<String>,
    #[server(default)] variant: Option<String>,
    #[server(default)] policy: Option<String>,
    #[server(default)] min_votes: Option<String>,
    #[server(default)] threshold: Option<String>,
    #[server(default)] max_pairs_per_prompt: Option<String>,
    #[server(default)] csv_safe: Option<String>,
    #[server(default)] metadata: Option<String>,
) -> Result<Option<ExportPlanReply>, ApiError> {
    use swipeset_core::export::{Export, ExportError, ExportRequest};
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let db = store.db();
    let Some(chosen) = swipeset_core::campaign::resolve(db, campaign.as_deref()).await? else {
        return Ok(None);
    };
    let choices = swipeset_core::campaign::list(db).await?;
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
    let outcome = Export::prepare(db, &chosen.slug, options).await;
    let (export, problem) = match outcome {
        Ok(export) => (Some(export), None),
        Err(ExportError::Core(core)) => return Err(core.into()),
        Err(e @ (ExportError::Empty(_) | ExportError::Unsupported(_))) => {
            (None, Some(e.to_string()))
        }
        Err(e) => return Err(ApiError::internal(e.to_string())),
    };
    Ok(Some(swipeset_core::export::preview(
        &chosen,
        &choices,
        export.as_ref(),
        problem,
    )))
}

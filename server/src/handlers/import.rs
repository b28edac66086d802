//! `POST /api/campaigns/{slug}/import`: an admin's upload of a prompts or responses file.
//! The body is streamed to a temporary file (never held in memory) and cut off at the
//! size limit; the import then runs exactly as `swipeset import` does, all or nothing, and
//! its errors name the uploaded file by its own name.

use std::io::Write;
use std::time::Instant;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use serde::{Deserialize, Serialize};
use swipeset_app::api::{ApiError, ErrorCode};
use swipeset_core::import::{
    self, FileFormat, ImportError, ImportSummary, Keep, PromptFields, ResponseFields, Source,
};

use super::api_error;
use crate::AppState;
use crate::auth::caller::RequestCaller;

#[derive(Debug, Deserialize)]
pub struct UploadQuery {
    /// `prompts` or `responses` (`generations`, the older word, is still accepted).
    what: String,
    /// The uploaded file's own name: its extension gives the format, and errors name it.
    file_name: String,
    /// `jsonl`, `csv`, `parquet` or `text`; by default from `file_name`.
    format: Option<String>,
    /// The prompt's field (prompts), default `prompt`.
    field: Option<String>,
    /// The other fields kept as metadata: `all` (default), `none`, or names separated by
    /// commas.
    metadata_fields: Option<String>,
    /// Responses: fields kept as the prompt's metadata instead, separated by commas.
    prompt_metadata_fields: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct UploadReply {
    #[serde(flatten)]
    summary: ImportSummary,
    took_ms: u64,
}

pub async fn upload(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
    Query(query): Query<UploadQuery>,
    body: Body,
) -> Response {
    if let Err(e) = caller.require_admin() {
        return api_error(e.into());
    }
    let started = Instant::now();
    let format = match &query.format {
        Some(f) => match f.parse::<FileFormat>() {
            Ok(f) => Some(f),
            Err(e) => return api_error(e.into()),
        },
        None => None,
    };
    let shown_name = query
        .file_name
        .rsplit(['/', '\\'])
        .next()
        .filter(|n| !n.is_empty())
        .unwrap_or("upload")
        .to_string();
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return api_error(ApiError::internal(format!("no room for the upload: {e}"))),
    };
    let path = dir.path().join(&shown_name);
    let limit = state.max_upload_bytes;
    if let Err(response) = receive(body, &path, limit, &shown_name).await {
        return response;
    }
    let source = Source {
        path: path.clone(),
        format,
        max_file_bytes: limit,
    };
    let metadata = match query.metadata_fields.as_deref().map(str::trim) {
        None | Some("") => Keep::All,
        Some(text) => match Keep::parse(text) {
            Ok(keep) => keep,
            Err(e) => {
                return api_error(ApiError::bad_request(format!("metadata_fields: {e}")));
            }
        },
    };
    let outcome = match query.what.as_str() {
        "prompts" => {
            let mut fields = PromptFields {
                metadata,
                ..PromptFields::default()
            };
            if let Some(f) = query.field.clone() {
                fields.prompt = f;
            }
            import::import_prompts(&state.db, &slug, &source, &fields).await
        }
        "responses" | "generations" => {
            let prompt_metadata =
                Keep::names(query.prompt_metadata_fields.as_deref().unwrap_or_default());
            let fields = ResponseFields {
                metadata,
                prompt_metadata,
                ..ResponseFields::default()
            };
            import::import_responses(&state.db, &slug, &source, &fields).await
        }
        other => {
            return api_error(ApiError::bad_request(format!(
                "what must be `prompts` or `responses`, got `{other}`"
            )));
        }
    };
    match outcome {
        Ok(summary) => axum::Json(UploadReply {
            summary,
            took_ms: started.elapsed().as_millis() as u64,
        })
        .into_response(),
        Err(ImportError::Core(core)) => api_error(core.into()),
        Err(e) => {
            // The temporary path means nothing to the person who uploaded the file.
            let message = e
                .to_string()
                .replace(&path.display().to_string(), &shown_name);
            api_error(ApiError::bad_request(format!(
                "nothing was imported: {message}"
            )))
        }
    }
}

/// Streams the body into `path`, refusing it (413) as soon as it passes `limit` bytes.
async fn receive(
    body: Body,
    path: &std::path::Path,
    limit: u64,
    name: &str,
) -> Result<(), Response> {
    let mut file = std::fs::File::create(path)
        .map_err(|e| api_error(ApiError::internal(format!("cannot store the upload: {e}"))))?;
    let mut stream = body.into_data_stream();
    let mut size: u64 = 0;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk
            .map_err(|e| api_error(ApiError::bad_request(format!("the upload broke off: {e}"))))?;
        size += chunk.len() as u64;
        if size > limit {
            let error = ApiError::new(
                ErrorCode::BadRequest,
                format!("{name}: over the upload limit of {limit} bytes; nothing was imported"),
            );
            return Err((StatusCode::PAYLOAD_TOO_LARGE, axum::Json(error)).into_response());
        }
        file.write_all(&chunk)
            .map_err(|e| api_error(ApiError::internal(format!("cannot store the upload: {e}"))))?;
    }
    if size == 0 {
        return Err(api_error(ApiError::bad_request(format!(
            "{name} is empty; nothing was imported"
        ))));
    }
    Ok(())
}

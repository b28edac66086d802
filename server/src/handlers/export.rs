//! `GET /api/campaigns/{slug}/export`: a dataset as a streamed download, the data file alone
//! or a zip of the whole dataset directory. Everything that can be refused (bad options, an
//! unknown campaign, nothing to export) is refused with a JSON error before the first byte;
//! after that, bytes flow as each page of rows is encoded, so the download starts at once
//! and the server holds one page in memory however large the dataset.

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use futures::StreamExt;
use swipeset_app::api::{ApiError, ErrorCode};
use swipeset_core::export::{ChannelSink, Export, ExportError, ExportRequest};
use tokio_stream::wrappers::ReceiverStream;

use super::api_error;
use crate::AppState;
use crate::auth::caller::RequestCaller;

/// Chunks in flight between the export and a slow client.
const CHANNEL_CHUNKS: usize = 4;

fn refuse(e: ExportError) -> Response {
    match e {
        ExportError::Core(core) => api_error(core.into()),
        // Nothing wrong with the request: the campaign has no rows under it (yet).
        ExportError::Empty(_) => api_error(ApiError::new(ErrorCode::Conflict, e.to_string())),
        ExportError::Unsupported(_) => {
            api_error(ApiError::new(ErrorCode::BadRequest, e.to_string()))
        }
        ExportError::Output { .. } | ExportError::Write(_) | ExportError::Encode(_) => {
            tracing::error!(error = %e, "export failed before it started");
            api_error(ApiError::internal("the export failed; see the server log"))
        }
    }
}

pub async fn download(
    State(state): State<AppState>,
    RequestCaller(caller): RequestCaller,
    Path(slug): Path<String>,
    Query(query): Query<ExportRequest>,
) -> Response {
    if let Err(e) = caller.require_admin() {
        return super::api_error(e.into());
    }
    // Held by the response body: a download counts until its client has it all or gives up.
    let Ok(permit) = state.exports.clone().try_acquire_owned() else {
        return api_error(ApiError::new(
            ErrorCode::Unavailable,
            "too many dataset downloads are running; try again in a minute",
        ));
    };
    let (options, archive) = match query.parse() {
        Ok(parsed) => parsed,
        Err(e) => return refuse(e.into()),
    };
    let export = match Export::prepare(&state.db, &slug, options).await {
        Ok(export) => export,
        Err(e) => return refuse(e),
    };
    let file_name = export.download_name(archive);
    let content_type = if archive {
        "application/zip"
    } else {
        export.options().format.content_type()
    };
    let (sender, receiver) = tokio::sync::mpsc::channel(CHANNEL_CHUNKS);
    tokio::spawn(async move {
        let mut sink = ChannelSink(sender.clone());
        let result = if archive {
            export.stream_zip(&mut sink).await
        } else {
            export.stream_data(&mut sink).await
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "export download broke off");
            // Break the body off, so the client does not take a truncated file as whole.
            let _ = sender.send(Err(std::io::Error::other(e.to_string()))).await;
        }
    });
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        Body::from_stream(ReceiverStream::new(receiver).map(move |chunk| {
            let _held = &permit;
            chunk
        })),
    )
        .into_response()
}

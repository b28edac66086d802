//! An export published as a dataset repository: the same directory `swipeset export`
//! writes (data/ and the card), written to a temporary folder and pushed as one commit.

use sea_orm::DatabaseConnection;

use super::{HubClient, HubError, PublishOutcome, PublishRequest, RepoId, StepReport, publish_dir};
use crate::export::{Export, ExportError, ExportOptions, Summary};

#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    #[error(transparent)]
    Export(#[from] ExportError),
    #[error(transparent)]
    Hub(#[from] HubError),
}

/// What a publish did, and the export it published.
#[derive(Debug, Clone)]
pub struct Published {
    pub outcome: PublishOutcome,
    pub summary: Summary,
}

/// The line of the card that changes with every export even when the data does not.
pub const CARD_DATE_LINE: &str = "Exported by swipeset";

/// Exports campaign `slug` with `options` and publishes it to `repo`. Export problems
/// (nothing to export, bad options) are reported before the Hub is called.
pub async fn publish_export(
    db: &DatabaseConnection,
    client: &HubClient,
    slug: &str,
    options: ExportOptions,
    repo: &RepoId,
    private: bool,
    report: Option<StepReport>,
) -> Result<Published, PublishError> {
    let export = Export::prepare(db, slug, options).await?;
    let staging = tempfile::tempdir().map_err(|e| {
        HubError::local(
            std::env::temp_dir(),
            format!("making a temporary folder: {e}"),
        )
    })?;
    let dir = staging.path().join("dataset");
    let summary = export.write_directory(&dir, false, &mut |_| {}).await?;
    let plan = &summary.plan;
    let what = match summary.options.kind {
        crate::export::Kind::Ratings => format!("{} ratings", plan.rows),
        _ => format!("{} rows", plan.rows),
    };
    let request = PublishRequest {
        repo,
        dir: &dir,
        private,
        summary: format!(
            "swipeset: {} dataset of campaign {} ({what})",
            summary.options.kind.name(),
            summary.campaign
        ),
        description: format!(
            "Published by swipeset {}: kind `{}`, variant `{}`, format `{}`, policy `{}` \
             (min_votes {}).",
            env!("CARGO_PKG_VERSION"),
            summary.options.kind.name(),
            summary.options.variant.name(),
            summary.options.format.name(),
            summary.options.policy.name(),
            summary.options.policy.min_votes(),
        ),
        owned_folders: &["data"],
        volatile_line: Some(CARD_DATE_LINE),
    };
    let outcome = publish_dir(client, &request, report).await?;
    Ok(Published { outcome, summary })
}

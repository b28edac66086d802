//! The export page's "Publish to the Hub" section: where the token comes from, the
//! scheduled snapshot, and what a publish did.

use serde::{Deserialize, Serialize};

/// What the server publishes with. Never the token itself.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HubStatusReply {
    /// The Hub's address (`https://huggingface.co` unless set otherwise).
    pub endpoint: String,
    /// `env` (an `HF_TOKEN` secret or a token file given to the server), `saved` (saved
    /// on this page) or `none`.
    pub token_source: String,
    /// The Hub account the saved token belongs to.
    pub token_owner: Option<String>,
    /// When the saved token was saved (RFC 3339).
    pub saved_at: Option<String>,
    /// The scheduled snapshot, when the server takes one.
    pub snapshot: Option<SnapshotLine>,
}

/// `serve --publish-every … --publish-repo …`, and how its last run went.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotLine {
    pub repo: String,
    pub repo_url: String,
    pub every_minutes: u64,
    /// When the last snapshot ran (RFC 3339) and what came of it, if one has run.
    pub last_at: Option<String>,
    pub last_result: Option<String>,
    pub last_ok: bool,
}

/// What a publish from the export page did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishReply {
    pub repo: String,
    pub repo_url: String,
    /// The new commit; `None` when the repository held this data already.
    pub commit_url: Option<String>,
    /// The repository was made by this publish.
    pub created: bool,
    pub rows: u64,
}

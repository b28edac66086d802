//! The export page's preview of what a download would hold.

use serde::{Deserialize, Serialize};

/// A campaign to pick on the export page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignChoice {
    pub slug: String,
    pub title: String,
}

/// Responses an export leaves out for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedLine {
    pub reason: String,
    pub count: u64,
}

/// What an export with the chosen options would hold (`export_preview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPlanReply {
    pub campaign: String,
    pub title: String,
    pub campaigns: Vec<CampaignChoice>,
    pub rows: u64,
    pub responses: u64,
    pub labelled: u64,
    pub dropped: Vec<DroppedLine>,
    pub prompts_with_pairs: u64,
    pub prompts_one_sided: u64,
    pub pairs_over_cap: u64,
    /// The download's file names: the data file alone, and the zip.
    pub file_name: String,
    pub zip_name: String,
    /// Why there is nothing to download with these options, if so.
    pub problem: Option<String>,
}

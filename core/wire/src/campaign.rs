//! Campaigns as raters see them (title, guidelines) and as admins edit them.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInfo {
    pub slug: String,
    pub title: String,
    pub guidelines: String,
    /// The guidelines as HTML, made on the server from their markdown with anything unsafe
    /// taken out; empty when there are none.
    pub guidelines_html: String,
    pub reveal_models: bool,
}

/// A line of the admin's campaigns page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLine {
    pub slug: String,
    pub title: String,
    pub open: bool,
    pub public_board: bool,
    pub overlap: i32,
    pub prompts: u64,
    pub generations: u64,
    pub ratings: u64,
    pub target: u64,
}

/// What an admin edits of a campaign. `slug` is chosen once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSettings {
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub guidelines: String,
    pub overlap: i32,
    pub reveal_models: bool,
    pub open: bool,
    pub public_board: bool,
    /// A Hub license id (`cc-by-4.0`, `apache-2.0`, `other`).
    pub license: String,
    /// Empty for none.
    pub system_prompt: String,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            slug: String::new(),
            title: String::new(),
            guidelines: String::new(),
            overlap: 3,
            reveal_models: false,
            open: true,
            public_board: false,
            license: "other".to_string(),
            system_prompt: String::new(),
        }
    }
}

/// How generation stands for one model of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationLine {
    pub model: String,
    pub responses: u64,
    pub done: u64,
    pub failed: u64,
    pub last_failure: Option<String>,
}

/// A campaign as its edit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAdminReply {
    pub settings: CampaignSettings,
    pub generation: Vec<GenerationLine>,
}

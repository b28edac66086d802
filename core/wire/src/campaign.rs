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
    pub responses: u64,
    /// Deprecated: the old name of `responses`, still sent for one release (see
    /// docs/API.md).
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
    /// The raters page flags a rater whose agreement's 95% upper bound is below this
    /// percentage (default 60), …
    #[serde(default = "default_flag_agreement_pct")]
    pub flag_agreement_pct: i32,
    /// … or who decides most cards in under this many milliseconds (default 1000).
    #[serde(default = "default_flag_fast_ms")]
    pub flag_fast_ms: i32,
    /// … or whose accuracy on gold cards has a 95% upper bound below this percentage
    /// (default 60).
    #[serde(default = "default_flag_gold_pct")]
    pub flag_gold_pct: i32,
    /// About one card in this many is a gold card, where the campaign has any (default 10;
    /// 0 deals none).
    #[serde(default = "default_gold_every")]
    pub gold_every: i32,
    /// Collect votes on a response until one side leads by two, `overlap` being the most
    /// it gets (default `false`: always `overlap`).
    #[serde(default)]
    pub adaptive_overlap: bool,
    /// A guest's votes count only once they have made this many decisions, a right vote on a
    /// gold card among them where the campaign has gold (default 0: at once; at most 50).
    #[serde(default)]
    pub guest_hold_back: i32,
    /// Show prompts and responses on cards as markdown (code blocks, lists, tables), made
    /// safe on the server (default `true`); `false` shows them exactly as written.
    #[serde(default = "default_render_markdown")]
    pub render_markdown: bool,
    /// The metadata field (of prompts, else of responses) that sorts them into categories
    /// (`topic`, `language`); `""` for none.
    #[serde(default)]
    pub category_field: String,
}

fn default_render_markdown() -> bool {
    true
}

fn default_flag_gold_pct() -> i32 {
    60
}

fn default_gold_every() -> i32 {
    10
}

fn default_flag_agreement_pct() -> i32 {
    60
}

fn default_flag_fast_ms() -> i32 {
    1_000
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
            flag_agreement_pct: default_flag_agreement_pct(),
            flag_fast_ms: default_flag_fast_ms(),
            flag_gold_pct: default_flag_gold_pct(),
            gold_every: default_gold_every(),
            // What the admin's form offers a new campaign: measured to give the labels of a
            // fixed overlap for a fifth fewer ratings (docs/BENCHMARKS.md). A client that
            // leaves the field out keeps the old behaviour (`serde(default)`: off).
            adaptive_overlap: true,
            // Also what the form offers a new campaign; a client that leaves it out counts
            // guests' votes at once, as before.
            guest_hold_back: 5,
            render_markdown: true,
            category_field: String::new(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_campaign_line_still_carries_the_old_field_name() {
        let line = CampaignLine {
            slug: "c".into(),
            title: "C".into(),
            open: true,
            public_board: false,
            overlap: 3,
            prompts: 2,
            responses: 4,
            generations: 4,
            ratings: 5,
            target: 12,
        };
        let json = serde_json::to_value(&line).unwrap();
        assert_eq!(json["responses"], 4);
        assert_eq!(json["generations"], 4);
        let back: CampaignLine = serde_json::from_value(json).unwrap();
        assert_eq!(back, line);
    }
}

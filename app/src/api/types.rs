//! What the API sends and receives. These mirror `swipeset_core`'s types, which the browser
//! cannot compile (they sit beside the database code), and fix the JSON wire format.

use serde::{Deserialize, Serialize};

/// 👍 or 👎, sent as `"up"` / `"down"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Label {
    Up,
    Down,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignInfo {
    pub slug: String,
    pub title: String,
    pub guidelines: String,
    pub reveal_models: bool,
}

/// A response to rate. Blind: it never names the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub generation_id: i32,
    pub prompt_id: i32,
    pub prompt: String,
    pub system_prompt: Option<String>,
    pub response: String,
}

/// The answer to "what should I rate next?". `campaign: None` means there is no campaign
/// yet; `card: None` with a campaign means this person has rated everything on offer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NextCardReply {
    pub campaign: Option<CampaignInfo>,
    pub card: Option<Card>,
}

/// What became of a rating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateStatus {
    /// Stored now.
    Recorded,
    /// This person had already rated the response; nothing changed.
    AlreadyRated,
    /// This rating (by `client_id`) was undone earlier; the retry changed nothing.
    Undone,
    /// The response already had all the ratings it needs and this person's hold on it had
    /// expired; nothing was stored.
    NotNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateReply {
    pub generation_id: i32,
    pub status: RateStatus,
    /// The label now stored (the earlier one if this rating was a repeat).
    pub label: Label,
    /// Who wrote the response, when the campaign reveals models after a swipe.
    pub model: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoReply {
    pub generation_id: i32,
    /// `false` when there was no rating by this person to undo.
    pub undone: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipReply {
    pub generation_id: i32,
    /// `false` when this person had already skipped it.
    pub skipped: bool,
}

/// Cards dealt to this person, each held for them for a few minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealReply {
    pub campaign: Option<CampaignInfo>,
    pub cards: Vec<Card>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProgressReply {
    pub campaign: String,
    pub generations: u64,
    pub target: u64,
    pub ratings: u64,
    pub completed: u64,
    pub rated_by_you: u64,
}

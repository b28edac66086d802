//! Rating: the card a rater sees, and what became of each swipe.

use serde::{Deserialize, Serialize};

use crate::{CampaignInfo, Label};

/// A response to rate. Blind: it never names the model (the model is revealed, if the
/// campaign allows, only in the answer to a rating).
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

/// Cards dealt to this person, each held for them for a few minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DealReply {
    pub campaign: Option<CampaignInfo>,
    pub cards: Vec<Card>,
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
    /// expired (others filled it); nothing was stored.
    NotNeeded,
}

/// The answer to a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateReply {
    pub generation_id: i32,
    pub status: RateStatus,
    /// The label now stored: the one sent, or the earlier one if this was a repeat.
    pub label: Label,
    /// Who wrote the response, when the campaign reveals models after a swipe.
    pub model: Option<String>,
    /// The cards dealt with this rating, when the request asked for some (`deal`).
    #[serde(default)]
    pub cards: Vec<Card>,
}

/// What an undo did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UndoReply {
    pub generation_id: i32,
    /// `false` when there was no rating by this person to undo.
    pub undone: bool,
}

/// What a skip did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkipReply {
    pub generation_id: i32,
    /// `false` when this person had already skipped it.
    pub skipped: bool,
}

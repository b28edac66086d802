//! One model of a campaign, as its page (`/leaderboard/model`) and
//! `GET /api/campaigns/{slug}/models/{name}` show it: where it stands, and what its 👍 rate
//! depends on.

use serde::{Deserialize, Serialize};

use crate::{Interval, ModelStanding};

/// The 👍 rate of a slice of a model's responses (a category, a range of lengths).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RateSlice {
    /// What the slice is: a category's value, or a range of lengths ("200–499 chars").
    pub label: String,
    pub responses: u64,
    pub up: u64,
    pub down: u64,
    /// Wilson 95% interval of up / (up + down); `null` without votes.
    pub rate: Option<Interval>,
}

/// The model against one other, on the prompts both answered and both got a label on (the
/// majority of the votes on each's responses to the prompt; ties give no label).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HeadToHead {
    pub model: String,
    /// Prompts where both have a label.
    pub prompts: u64,
    /// This model 👍, the other 👎.
    pub wins: u64,
    /// This model 👎, the other 👍.
    pub losses: u64,
    /// Both 👍 or both 👎.
    pub ties: u64,
}

/// A model's Bradley–Terry strength, fitted from every pair's wins and losses: the chance
/// it beats the average model is strength / (strength + 1).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strength {
    pub model: String,
    /// Geometric mean over the models is 1; `null` for a model without decided prompts.
    pub strength: Option<f64>,
    /// Its 👍 rate, beside it.
    pub rate: Option<f64>,
}

/// How much raters agree on this model's responses: of every two votes on the same
/// response, the share that are alike.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PairAgreement {
    pub share: f64,
    /// Pairs of votes compared.
    pub pairs: u64,
    /// Responses with two votes or more.
    pub responses: u64,
}

/// A response of the model, for admins: among its most 👍'd or most 👎'd.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseLine {
    pub response_id: i32,
    pub prompt: String,
    pub response: String,
    pub up: u64,
    pub down: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelPageReply {
    pub campaign: String,
    pub title: String,
    /// The model's line of the leaderboard (Wilson interval, rank among all models).
    pub standing: ModelStanding,
    pub models: u64,
    /// Prompts it answered.
    pub prompts: u64,
    /// The 👍 rate's 95% interval from a bootstrap that resamples prompts (votes on one
    /// prompt are not independent): wider than Wilson's where they are alike.
    pub clustered: Option<Interval>,
    /// The campaign's category field, if it has one.
    pub category_field: Option<String>,
    /// By category, most responses first; empty without a category field.
    pub by_category: Vec<RateSlice>,
    /// By response length, shortest first.
    pub by_length: Vec<RateSlice>,
    pub agreement: Option<PairAgreement>,
    /// Against every other model, most prompts first.
    pub head_to_head: Vec<HeadToHead>,
    /// Every model's strength, strongest first.
    pub strengths: Vec<Strength>,
    /// For admins only (empty for others): its most 👍'd responses, then its most 👎'd.
    pub best: Vec<ResponseLine>,
    pub worst: Vec<ResponseLine>,
    /// When it was read (RFC 3339, UTC).
    pub as_of: String,
    /// When the head-to-head outcomes and the strengths were read: they are read again
    /// at most every 10 seconds, so they may be that much (and the time a read takes)
    /// older than the rest.
    pub head_to_head_as_of: String,
}

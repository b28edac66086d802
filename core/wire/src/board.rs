//! The leaderboard as it is sent to dashboards, over `/api/leaderboard` and the live
//! event stream alike.

use serde::{Deserialize, Serialize};

use crate::Progress;

/// A proportion and its 95% interval, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// One model's line on the leaderboard. The model is named here whatever the campaign's
/// blind setting: this is the result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelStanding {
    /// The model's integer key (`model.id`), as every `model_id` is.
    pub model_id: i32,
    pub model: String,
    pub up: u64,
    pub down: u64,
    pub votes: u64,
    /// The 👍 rate with its Wilson 95% interval; `null` before the first vote.
    pub rate: Option<Interval>,
    /// 1 + the number of models whose interval lies wholly above this one's.
    pub rank: usize,
    /// Fewer votes than the board's minimum: shown, but not to be trusted yet.
    pub preliminary: bool,
    pub responses: u64,
    pub rated_responses: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HourCount {
    /// The hour's start, RFC 3339, UTC.
    pub hour: String,
    pub ratings: i64,
}

/// The campaign's progress, with the board's view of recent activity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardProgress {
    #[serde(flatten)]
    pub totals: Progress,
    /// Annotators with a rating in the last 10 minutes.
    pub active_annotators: u64,
    /// The last 24 hours, oldest first, zeros included.
    pub per_hour: Vec<HourCount>,
}

/// Krippendorff's α (nominal) with a bootstrap 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    pub alpha: f64,
    pub low: f64,
    pub high: f64,
    /// Units (responses) with at least two ratings.
    pub units: u64,
}

/// One annotator on the contributors board: their name if they chose to show it, a
/// pseudonym otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContributorLine {
    pub name: String,
    pub ratings: u64,
    /// Ratings compared with the majority of the others on the same response.
    pub compared: u64,
    /// How often they agree with that majority (leave-one-out); `null` before any
    /// comparison.
    pub agreement: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardReply {
    pub campaign: String,
    pub title: String,
    pub min_votes: u64,
    /// Best first: by rank, then by rate, then by votes.
    pub models: Vec<ModelStanding>,
    pub progress: BoardProgress,
    /// `null` until agreement is defined (two ratings on some response).
    pub agreement: Option<Agreement>,
    /// The most active annotators, most ratings first.
    pub contributors: Vec<ContributorLine>,
}

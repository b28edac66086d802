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

/// The campaign's progress, with the board's view of recent activity. Read back through a
/// flat twin, as `ProgressReply` is (serde's `flatten` would cost the bundle).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlatBoardProgress")]
pub struct BoardProgress {
    #[serde(flatten)]
    pub totals: Progress,
    /// Annotators with a rating in the last 10 minutes.
    pub active_annotators: u64,
    /// The last 24 hours, oldest first, zeros included.
    pub per_hour: Vec<HourCount>,
}

/// `BoardProgress` as it is on the wire.
#[derive(Deserialize)]
struct FlatBoardProgress {
    responses: u64,
    target: u64,
    ratings: u64,
    completed: u64,
    active_annotators: u64,
    per_hour: Vec<HourCount>,
}

impl From<FlatBoardProgress> for BoardProgress {
    fn from(f: FlatBoardProgress) -> Self {
        Self {
            totals: Progress {
                responses: f.responses,
                target: f.target,
                ratings: f.ratings,
                completed: f.completed,
            },
            active_annotators: f.active_annotators,
            per_hour: f.per_hour,
        }
    }
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

/// A category of the campaign's prompts (`(none)` for those without one) and how many
/// prompts it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CategoryCount {
    pub name: String,
    pub prompts: u64,
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
    /// When the board was read (RFC 3339, UTC, milliseconds): on the live stream, how old
    /// a snapshot is, and how long after a change it was taken.
    #[serde(default)]
    pub as_of: String,
    /// Where the models' lines count only the prompts of one category (the campaign's
    /// category field), that category; progress and agreement stay the whole campaign's.
    #[serde(default)]
    pub category: Option<String>,
    /// The campaign's categories, for the board's filter (from `/api/leaderboard`; the live
    /// stream's snapshots leave them out).
    #[serde(default)]
    pub categories: Vec<CategoryCount>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_progress_is_flat_on_the_wire_and_reads_back() {
        let progress = BoardProgress {
            totals: Progress {
                responses: 3,
                target: 9,
                ratings: 4,
                completed: 1,
            },
            active_annotators: 2,
            per_hour: vec![HourCount {
                hour: "2026-11-28T03:00:00+00:00".into(),
                ratings: 4,
            }],
        };
        let json = serde_json::to_value(&progress).unwrap();
        assert_eq!(json["responses"], 3);
        assert_eq!(json["active_annotators"], 2);
        assert!(json.get("totals").is_none());
        assert_eq!(
            serde_json::from_value::<BoardProgress>(json).unwrap(),
            progress
        );
    }
}

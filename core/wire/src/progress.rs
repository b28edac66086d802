//! How far a campaign's rating has come: one set of figures, computed in one place
//! (`swipeset_core::board::progress`), shown to raters and on the leaderboard alike.

use serde::{Deserialize, Serialize};

/// A campaign's progress towards its target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Ratings stored so far.
    pub ratings: u64,
    /// Ratings the campaign asks for: responses × overlap.
    pub target: u64,
    /// Responses in the campaign.
    pub responses: u64,
    /// Responses with all the ratings they need.
    pub completed: u64,
}

/// A rater's view of the progress (`/api/progress`).
///
/// Read back through a flat twin (`from`) rather than serde's `flatten`, whose
/// deserialiser buffers every field and costs the browser bundle kilobytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FlatProgressReply")]
pub struct ProgressReply {
    pub campaign: String,
    #[serde(flatten)]
    pub totals: Progress,
    /// The old name of `responses`, still sent for one release (see docs/API.md).
    pub generations: u64,
    /// Ratings by the person who asked.
    pub rated_by_you: u64,
}

impl ProgressReply {
    pub fn new(campaign: String, totals: Progress, rated_by_you: u64) -> Self {
        Self {
            campaign,
            generations: totals.responses,
            totals,
            rated_by_you,
        }
    }
}

/// `ProgressReply` as it is on the wire.
#[derive(Deserialize)]
struct FlatProgressReply {
    campaign: String,
    responses: u64,
    target: u64,
    ratings: u64,
    completed: u64,
    rated_by_you: u64,
}

impl From<FlatProgressReply> for ProgressReply {
    fn from(f: FlatProgressReply) -> Self {
        let totals = Progress {
            responses: f.responses,
            target: f.target,
            ratings: f.ratings,
            completed: f.completed,
        };
        Self::new(f.campaign, totals, f.rated_by_you)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rater_reply_still_carries_the_old_field_name() {
        let progress = Progress {
            responses: 4,
            target: 12,
            ratings: 5,
            completed: 1,
        };
        let json = serde_json::to_value(ProgressReply::new("c".into(), progress, 2)).unwrap();
        assert_eq!(json["responses"], 4);
        assert_eq!(json["generations"], 4);
        assert_eq!(json["rated_by_you"], 2);
        let back: ProgressReply = serde_json::from_value(json).unwrap();
        assert_eq!(back.totals, progress);
    }
}

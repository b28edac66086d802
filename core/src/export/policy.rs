//! How the votes on one response become its KTO label, or why they do not. The policy is
//! part of every export's summary and dataset card, so a reader of the data knows exactly
//! which responses were kept and why the others were not.

use std::fmt;

use serde::Serialize;

use crate::{CoreError, CoreResult};

/// The default number of votes a response needs before any policy labels it.
pub const DEFAULT_MIN_VOTES: u32 = 2;

/// A stated rule from (👍, 👎) counts to a label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "policy", rename_all = "lowercase")]
pub enum Policy {
    /// At least `min_votes` votes and strictly more of one kind; ties are dropped.
    Majority { min_votes: u32 },
    /// At least `min_votes` votes, all of one kind.
    Unanimous { min_votes: u32 },
}

impl Default for Policy {
    fn default() -> Self {
        Policy::Majority {
            min_votes: DEFAULT_MIN_VOTES,
        }
    }
}

/// Why a response got no label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Fewer votes than the policy's minimum (including none at all).
    TooFewVotes,
    /// As many 👍 as 👎 under `majority`.
    Tie,
    /// Both kinds of vote under `unanimous`.
    Disagreement,
}

impl DropReason {
    pub const ALL: [DropReason; 3] = [
        DropReason::TooFewVotes,
        DropReason::Tie,
        DropReason::Disagreement,
    ];

    /// How the dataset card and the CLI name the reason.
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::TooFewVotes => "too few votes",
            DropReason::Tie => "tied votes",
            DropReason::Disagreement => "annotators disagreed",
        }
    }
}

impl Policy {
    /// Builds a policy from its name, as the CLI and the HTTP API spell it.
    pub fn parse(name: &str, min_votes: u32) -> CoreResult<Self> {
        if min_votes == 0 {
            return Err(CoreError::invalid(
                "min_votes",
                "must be at least 1: a response without votes has no label",
            ));
        }
        match name {
            "majority" => Ok(Policy::Majority { min_votes }),
            "unanimous" => Ok(Policy::Unanimous { min_votes }),
            other => Err(CoreError::invalid(
                "policy",
                format!("expected `majority` or `unanimous`, got `{other}`"),
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Majority { .. } => "majority",
            Policy::Unanimous { .. } => "unanimous",
        }
    }

    pub fn min_votes(self) -> u32 {
        match self {
            Policy::Majority { min_votes } | Policy::Unanimous { min_votes } => min_votes,
        }
    }

    /// The label of a response with `up` 👍 and `down` 👎 (`true` = 👍), or why it has none.
    pub fn decide(self, up: u32, down: u32) -> Result<bool, DropReason> {
        if up.saturating_add(down) < self.min_votes() {
            return Err(DropReason::TooFewVotes);
        }
        match self {
            Policy::Majority { .. } if up == down => Err(DropReason::Tie),
            Policy::Majority { .. } => Ok(up > down),
            Policy::Unanimous { .. } if up > 0 && down > 0 => Err(DropReason::Disagreement),
            Policy::Unanimous { .. } => Ok(up > 0),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Policy::Majority { min_votes } => write!(
                f,
                "majority: at least {min_votes} votes and strictly more of one kind; ties dropped"
            ),
            Policy::Unanimous { min_votes } => {
                write!(f, "unanimous: at least {min_votes} votes, all of one kind")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn majority_needs_enough_votes_and_drops_ties() {
        let policy = Policy::default();
        assert_eq!(policy.decide(0, 0), Err(DropReason::TooFewVotes));
        assert_eq!(policy.decide(1, 0), Err(DropReason::TooFewVotes));
        assert_eq!(policy.decide(2, 0), Ok(true));
        assert_eq!(policy.decide(1, 1), Err(DropReason::Tie));
        assert_eq!(policy.decide(2, 1), Ok(true));
        assert_eq!(policy.decide(1, 2), Ok(false));
        assert_eq!(policy.decide(3, 3), Err(DropReason::Tie));
    }

    #[test]
    fn unanimous_drops_any_disagreement() {
        let policy = Policy::parse("unanimous", 3).unwrap();
        assert_eq!(policy.decide(2, 0), Err(DropReason::TooFewVotes));
        assert_eq!(policy.decide(3, 0), Ok(true));
        assert_eq!(policy.decide(0, 4), Ok(false));
        assert_eq!(policy.decide(3, 1), Err(DropReason::Disagreement));
    }

    #[test]
    fn a_bad_policy_says_what_was_expected() {
        let err = Policy::parse("vibes", 2).unwrap_err().to_string();
        assert!(err.contains("`majority` or `unanimous`"), "{err}");
        assert!(err.contains("vibes"), "{err}");
        let err = Policy::parse("majority", 0).unwrap_err().to_string();
        assert!(err.contains("min_votes"), "{err}");
    }
}

//! How the votes on one response become its KTO label, or why they do not. The policy is
//! part of every export's summary and dataset card, so a reader of the data knows exactly
//! which responses were kept and why the others were not.

use std::fmt;

use serde::Serialize;

use crate::{CoreError, CoreResult};

/// The default number of votes a response needs before any policy labels it.
pub const DEFAULT_MIN_VOTES: u32 = 2;

/// The default posterior a `weighted` label needs: P(👍) at least this, or at most one
/// minus it.
pub const DEFAULT_THRESHOLD: f64 = 0.8;

/// A stated rule from a response's votes to a label.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "policy", rename_all = "lowercase")]
pub enum Policy {
    /// At least `min_votes` votes and strictly more of one kind; ties are dropped.
    Majority { min_votes: u32 },
    /// At least `min_votes` votes, all of one kind.
    Unanimous { min_votes: u32 },
    /// At least `min_votes` votes, and a posterior P(👍) of at least `threshold` (👍) or at
    /// most `1 - threshold` (👎) under a Dawid–Skene model of the raters' reliability
    /// (`super::weighted`), with the votes themselves on the label's side.
    Weighted { min_votes: u32, threshold: f64 },
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
    /// Under `weighted`, a posterior between the thresholds, or one that only the prior
    /// puts past them.
    Uncertain,
}

impl DropReason {
    pub const ALL: [DropReason; 4] = [
        DropReason::TooFewVotes,
        DropReason::Tie,
        DropReason::Disagreement,
        DropReason::Uncertain,
    ];

    /// How the dataset card and the CLI name the reason.
    pub fn describe(self) -> &'static str {
        match self {
            DropReason::TooFewVotes => "too few votes",
            DropReason::Tie => "tied votes",
            DropReason::Disagreement => "annotators disagreed",
            DropReason::Uncertain => "an uncertain posterior",
        }
    }
}

impl Policy {
    /// Builds a policy from its name, as the CLI and the HTTP API spell it; `threshold`
    /// is for `weighted` only (default 0.8).
    pub fn parse(name: &str, min_votes: u32, threshold: Option<f64>) -> CoreResult<Self> {
        if min_votes == 0 {
            return Err(CoreError::invalid(
                "min_votes",
                "must be at least 1: a response without votes has no label",
            ));
        }
        if threshold.is_some() && name != "weighted" {
            return Err(CoreError::invalid(
                "threshold",
                "applies to the weighted policy only",
            ));
        }
        match name {
            "majority" => Ok(Policy::Majority { min_votes }),
            "unanimous" => Ok(Policy::Unanimous { min_votes }),
            "weighted" => Self::weighted(min_votes, threshold.unwrap_or(DEFAULT_THRESHOLD)),
            other => Err(CoreError::invalid(
                "policy",
                format!("expected `majority`, `unanimous` or `weighted`, got `{other}`"),
            )),
        }
    }

    /// `weighted` with a threshold above one half and below one.
    pub fn weighted(min_votes: u32, threshold: f64) -> CoreResult<Self> {
        if !(threshold > 0.5 && threshold < 1.0) {
            return Err(CoreError::invalid(
                "threshold",
                format!(
                    "must be above 0.5 and below 1 (the posterior P(👍) a label needs), got {threshold}"
                ),
            ));
        }
        Ok(Policy::Weighted {
            min_votes,
            threshold,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Policy::Majority { .. } => "majority",
            Policy::Unanimous { .. } => "unanimous",
            Policy::Weighted { .. } => "weighted",
        }
    }

    pub fn min_votes(self) -> u32 {
        match self {
            Policy::Majority { min_votes }
            | Policy::Unanimous { min_votes }
            | Policy::Weighted { min_votes, .. } => min_votes,
        }
    }

    /// Whether labels come from a fitted model (`super::weighted`) rather than the counts.
    pub fn is_weighted(self) -> bool {
        matches!(self, Policy::Weighted { .. })
    }

    /// The label of a response with `up` 👍 and `down` 👎 (`true` = 👍), or why it has none.
    /// `weighted` decides with [`Policy::decide_weighted`] instead; here it drops everything
    /// as uncertain, having no posterior to go on.
    pub fn decide(self, up: u32, down: u32) -> Result<bool, DropReason> {
        if up.saturating_add(down) < self.min_votes() {
            return Err(DropReason::TooFewVotes);
        }
        match self {
            Policy::Majority { .. } if up == down => Err(DropReason::Tie),
            Policy::Majority { .. } => Ok(up > down),
            Policy::Unanimous { .. } if up > 0 && down > 0 => Err(DropReason::Disagreement),
            Policy::Unanimous { .. } => Ok(up > 0),
            Policy::Weighted { .. } => Err(DropReason::Uncertain),
        }
    }

    /// Under `weighted`: the label of a response with `votes` votes, posterior `p_up` and
    /// the side its votes alone favour (`side`, `None` when they favour neither). The
    /// prior alone never labels a response: in a campaign where most responses are 👍, a
    /// response whose votes carry no information would otherwise pass as 👍.
    pub fn decide_weighted(
        self,
        votes: u32,
        p_up: f64,
        side: Option<bool>,
    ) -> Result<bool, DropReason> {
        let Policy::Weighted {
            min_votes,
            threshold,
        } = self
        else {
            return Err(DropReason::Uncertain);
        };
        if votes < min_votes {
            return Err(DropReason::TooFewVotes);
        }
        match side {
            Some(true) if p_up >= threshold => Ok(true),
            Some(false) if p_up <= 1.0 - threshold => Ok(false),
            _ => Err(DropReason::Uncertain),
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
            Policy::Weighted {
                min_votes,
                threshold,
            } => write!(
                f,
                "weighted: at least {min_votes} votes, and a posterior P(👍) of at least \
                 {threshold:.2} (👍) or at most {:.2} (👎) under a binary Dawid–Skene model of \
                 each rater's reliability fitted to the votes by EM, with the votes \
                 themselves on the label's side (the prior alone never labels a response)",
                1.0 - threshold
            ),
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
        let policy = Policy::parse("unanimous", 3, None).unwrap();
        assert_eq!(policy.decide(2, 0), Err(DropReason::TooFewVotes));
        assert_eq!(policy.decide(3, 0), Ok(true));
        assert_eq!(policy.decide(0, 4), Ok(false));
        assert_eq!(policy.decide(3, 1), Err(DropReason::Disagreement));
    }

    #[test]
    fn a_bad_policy_says_what_was_expected() {
        let err = Policy::parse("vibes", 2, None).unwrap_err().to_string();
        assert!(
            err.contains("`majority`, `unanimous` or `weighted`"),
            "{err}"
        );
        assert!(err.contains("vibes"), "{err}");
        let err = Policy::parse("majority", 0, None).unwrap_err().to_string();
        assert!(err.contains("min_votes"), "{err}");
        let err = Policy::parse("majority", 2, Some(0.9))
            .unwrap_err()
            .to_string();
        assert!(err.contains("weighted policy only"), "{err}");
        for bad in [0.5, 1.0, 0.2, f64::NAN] {
            let err = Policy::parse("weighted", 2, Some(bad))
                .unwrap_err()
                .to_string();
            assert!(err.starts_with("invalid threshold"), "{err}");
        }
    }

    #[test]
    fn weighted_needs_the_posterior_and_the_votes_on_the_same_side() {
        let policy = Policy::parse("weighted", 2, None).unwrap();
        assert_eq!(
            policy,
            Policy::Weighted {
                min_votes: 2,
                threshold: 0.8
            }
        );
        assert_eq!(policy.decide_weighted(2, 0.85, Some(true)), Ok(true));
        assert_eq!(policy.decide_weighted(3, 0.1, Some(false)), Ok(false));
        assert_eq!(
            policy.decide_weighted(1, 0.99, Some(true)),
            Err(DropReason::TooFewVotes)
        );
        assert_eq!(
            policy.decide_weighted(2, 0.5, Some(true)),
            Err(DropReason::Uncertain)
        );
        // Past the threshold on the prior alone: the votes say nothing, or the other thing.
        assert_eq!(
            policy.decide_weighted(2, 0.85, None),
            Err(DropReason::Uncertain)
        );
        assert_eq!(
            policy.decide_weighted(2, 0.82, Some(false)),
            Err(DropReason::Uncertain)
        );
    }
}

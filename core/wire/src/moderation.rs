//! The admin's raters page and audit log.

use serde::{Deserialize, Serialize};

use crate::Interval;

/// One rater's figures in a campaign (`GET /api/raters`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterLine {
    pub user_id: i32,
    pub name: String,
    pub guest: bool,
    pub ratings: u64,
    /// Share of 👍 among their ratings.
    pub up_share: Option<f64>,
    /// Agreement with the others' majority (leave-one-out), with its 95% interval, and how
    /// many ratings it compares.
    pub agreement: Option<Interval>,
    pub compared: u64,
    /// The median decision time's bucket: under this many ms; `None` past 16 s or untimed.
    pub median_under_ms: Option<i64>,
    pub timed: u64,
    pub skips: u64,
    /// Why an admin excluded them, if they are excluded.
    pub excluded: Option<String>,
    /// `low_agreement`, `too_fast`, `one_sided`.
    pub flags: Vec<String>,
    /// The flags in words.
    pub flag_notes: Vec<String>,
}

/// `GET /api/raters?campaign=SLUG`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RatersReply {
    pub campaign: String,
    pub title: String,
    pub raters: Vec<RaterLine>,
}

/// What an exclusion or inclusion moved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RaterChangeReply {
    /// Whether the rater is excluded now.
    pub excluded: bool,
    /// Their ratings in the campaign that were set aside (or counted again).
    pub ratings: u64,
}

/// One line of the audit log (`GET /api/audit_log`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditLine {
    pub id: i32,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    pub action: String,
    pub campaign: Option<String>,
    pub target: String,
    pub reason: String,
}

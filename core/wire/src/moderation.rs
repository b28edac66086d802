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
    /// Of `ratings`, how many are held back: a guest the campaign has not released yet
    /// (`guest_hold_back`).
    #[serde(default)]
    pub held: u64,
    /// Share of 👍 among their ratings.
    pub up_share: Option<f64>,
    /// Agreement with the others' majority (leave-one-out), with its 95% interval, and how
    /// many ratings it compares.
    pub agreement: Option<Interval>,
    pub compared: u64,
    /// The median decision time's bucket: under this many ms (to a tenth of a second under
    /// 10 s, to a second under a minute); `None` past a minute or untimed.
    pub median_under_ms: Option<i64>,
    pub timed: u64,
    pub skips: u64,
    /// Votes on gold cards, and accuracy on them with its 95% interval.
    #[serde(default)]
    pub gold: u64,
    #[serde(default)]
    pub gold_accuracy: Option<Interval>,
    /// Why an admin excluded them, if they are excluded.
    pub excluded: Option<String>,
    /// `low_agreement`, `too_fast`, `one_sided`, `low_gold_accuracy`.
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

/// Why a rater flags a card instead of rating it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FlagKind {
    /// Empty, cut off, garbled, in the wrong language: nothing fair to judge.
    Broken,
    /// Content nobody should have to read, or that must not go into a dataset.
    Harmful,
    /// Says which model wrote it, so votes on it are not blind.
    RevealsModel,
    /// Anything else; the note says what.
    Other,
}

impl FlagKind {
    pub const ALL: [FlagKind; 4] = [
        FlagKind::Broken,
        FlagKind::Harmful,
        FlagKind::RevealsModel,
        FlagKind::Other,
    ];

    /// The wire name (`broken`, `harmful`, `reveals_model`, `other`).
    pub fn name(self) -> &'static str {
        match self {
            FlagKind::Broken => "broken",
            FlagKind::Harmful => "harmful",
            FlagKind::RevealsModel => "reveals_model",
            FlagKind::Other => "other",
        }
    }

    /// The wire name's kind, if it is one.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// As the flag menu and the queue say it.
    pub fn describe(self) -> &'static str {
        match self {
            FlagKind::Broken => "Broken",
            FlagKind::Harmful => "Harmful",
            FlagKind::RevealsModel => "Reveals the model",
            FlagKind::Other => "Something else",
        }
    }
}

/// `POST /api/flag_card`: the flag is stored (or replaces this rater's earlier flag of the
/// card) and the card is skipped for them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagReply {
    pub response_id: i32,
    /// `false` when this rater had flagged the card before (the flag was updated).
    pub new: bool,
}

/// One rater's flag of a response, on the admin's queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagNote {
    pub rater: String,
    pub kind: FlagKind,
    pub note: Option<String>,
    /// RFC 3339.
    pub at: String,
    /// Whether an admin has dealt with it (hid the response or dismissed its flags).
    pub resolved: bool,
}

/// One stored rating of a response, on the admin's queue: what "delete" acts on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingNote {
    pub rating_id: i32,
    pub user_id: i32,
    pub rater: String,
    pub label: crate::Label,
    /// RFC 3339.
    pub at: String,
    /// `false` while set aside (its rater excluded or the response hidden).
    pub counted: bool,
}

/// A flagged or hidden response, with what is needed to decide about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlaggedResponse {
    pub response_id: i32,
    pub model: String,
    pub prompt: String,
    pub response: String,
    /// RFC 3339; `None` while the response is dealt.
    pub hidden_at: Option<String>,
    /// Open flags first, newest first.
    pub flags: Vec<FlagNote>,
    pub ratings: Vec<RatingNote>,
}

/// `GET /api/flag_queue?campaign=SLUG`: responses with open flags (most flagged first),
/// then the hidden ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagQueueReply {
    pub campaign: String,
    pub title: String,
    pub flagged: Vec<FlaggedResponse>,
    pub hidden: Vec<FlaggedResponse>,
}

/// What hiding, showing or dismissing a response's flags changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseChangeReply {
    pub response_id: i32,
    /// Whether the response is hidden now.
    pub hidden: bool,
    /// Ratings set aside (hiding) or counted again (showing).
    pub ratings: u64,
    /// Open flags resolved.
    pub flags: u64,
}

/// `POST /api/delete_rating`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteRatingReply {
    pub rating_id: i32,
    pub response_id: i32,
    pub user_id: i32,
    pub label: crate::Label,
}

/// A gold card of a campaign (`GET /api/gold_cards`): a response whose label an admin
/// knows, dealt to measure raters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldLine {
    pub response_id: i32,
    pub model: String,
    pub prompt: String,
    pub response: String,
    pub expected: crate::Label,
    /// Raters' votes on it, and of those the expected label.
    pub votes: u64,
    pub correct: u64,
}

/// `POST /api/set_gold`: what marking or unmarking changed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoldChangeReply {
    pub response_id: i32,
    /// The expected label now; `null` once it is an ordinary response again.
    pub expected: Option<crate::Label>,
    /// Ratings that became gold votes (marking), or gold votes counted again (unmarking).
    pub votes: u64,
}

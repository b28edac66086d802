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
    /// The guidelines as HTML, made on the server from their markdown with anything unsafe
    /// taken out; empty when there are none.
    pub guidelines_html: String,
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
    /// The cards dealt with this rating, when the request asked for some (`deal`).
    #[serde(default)]
    pub cards: Vec<Card>,
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

/// A proportion and its 95% interval, each in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Interval {
    pub estimate: f64,
    pub low: f64,
    pub high: f64,
}

/// One model's line on the leaderboard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelStanding {
    pub model: String,
    pub up: u64,
    pub down: u64,
    pub votes: u64,
    /// The 👍 rate with its Wilson 95% interval; `null` before the first vote.
    pub rate: Option<Interval>,
    /// 1 + the number of models whose interval lies wholly above this one's.
    pub rank: usize,
    /// Fewer votes than the board's minimum.
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoardProgress {
    pub ratings: u64,
    /// Responses × overlap.
    pub target: u64,
    pub responses: u64,
    /// Responses with all the ratings they need.
    pub completed: u64,
    /// Annotators with a rating in the last 10 minutes.
    pub active_annotators: u64,
    /// The last 24 hours, oldest first.
    pub per_hour: Vec<HourCount>,
}

/// Krippendorff's α (nominal) with a bootstrap 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct AgreementReply {
    pub alpha: f64,
    pub low: f64,
    pub high: f64,
    /// Responses with at least two ratings.
    pub units: u64,
}

/// One annotator on the contributors board, under a pseudonym.
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
    /// Best first.
    pub models: Vec<ModelStanding>,
    pub progress: BoardProgress,
    pub agreement: Option<AgreementReply>,
    /// The most active annotators, most ratings first.
    pub contributors: Vec<ContributorLine>,
}

/// A campaign to pick on the export page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CampaignChoice {
    pub slug: String,
    pub title: String,
}

/// Responses an export leaves out for one reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DroppedLine {
    pub reason: String,
    pub count: u64,
}

/// What an export with the chosen options would hold (`export_preview`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExportPlanReply {
    pub campaign: String,
    pub title: String,
    pub campaigns: Vec<CampaignChoice>,
    pub rows: u64,
    pub responses: u64,
    pub labelled: u64,
    pub dropped: Vec<DroppedLine>,
    pub prompts_with_pairs: u64,
    pub prompts_one_sided: u64,
    pub pairs_over_cap: u64,
    /// The download's file names: the data file alone, and the zip.
    pub file_name: String,
    pub zip_name: String,
    /// Why there is nothing to download with these options, if so.
    pub problem: Option<String>,
}

/// Who is signed in, and which ways to sign in this instance offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct MeReply {
    pub user: Option<MeUser>,
    /// Whether anyone may make an account here.
    pub open_registration: bool,
    /// The label of the OpenID Connect button ("Hugging Face"), when one is configured.
    pub oidc: Option<String>,
    /// Whether people may rate without an account, as a guest of their browser.
    pub guests: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeUser {
    pub name: String,
    /// `annotator` or `admin`.
    pub role: String,
    pub guest: bool,
    pub has_password: bool,
    /// Whether the contributors board shows this name (a pseudonym otherwise).
    pub show_name: bool,
}

/// One of the caller's API tokens. The token itself is never sent again after it was made.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenLine {
    pub id: i32,
    pub name: String,
    /// RFC 3339 times.
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub revoked_at: Option<String>,
}

/// A token just made: the only time `token` is shown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewToken {
    pub id: i32,
    pub name: String,
    pub token: String,
}

/// A line of the admin's users page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserLine {
    pub id: i32,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub created_at: String,
    pub last_sign_in_at: Option<String>,
    /// `password`, `openid`, or `password+openid`.
    pub sign_in: String,
    pub ratings: i64,
}

/// A line of the admin's campaigns page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignLine {
    pub slug: String,
    pub title: String,
    pub open: bool,
    pub public_board: bool,
    pub overlap: i32,
    pub prompts: u64,
    pub generations: u64,
    pub ratings: u64,
    pub target: u64,
}

/// What an admin edits of a campaign. `slug` is chosen once, at creation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignSettings {
    pub slug: String,
    pub title: String,
    /// Markdown.
    pub guidelines: String,
    pub overlap: i32,
    pub reveal_models: bool,
    pub open: bool,
    pub public_board: bool,
    /// A Hub license id (`cc-by-4.0`, `apache-2.0`, `other`).
    pub license: String,
    /// Empty for none.
    pub system_prompt: String,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        Self {
            slug: String::new(),
            title: String::new(),
            guidelines: String::new(),
            overlap: 3,
            reveal_models: false,
            open: true,
            public_board: false,
            license: "other".to_string(),
            system_prompt: String::new(),
        }
    }
}

/// How generation stands for one model of a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationLine {
    pub model: String,
    pub responses: u64,
    pub done: u64,
    pub failed: u64,
    pub last_failure: Option<String>,
}

/// A campaign as its edit page shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CampaignAdminReply {
    pub settings: CampaignSettings,
    pub generation: Vec<GenerationLine>,
}

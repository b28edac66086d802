//! Server-side plumbing shared by the server functions: the database handle and who is
//! asking, both taken from the request's context, plus conversions from domain types.

use leptos::prelude::use_context;
use swipeset_core::{DatabaseConnection, Store};

use super::ApiError;
use super::types::{
    CampaignInfo, Card, Label, MeReply, MeUser, ProgressReply, RateReply, RateStatus, SkipReply,
    TokenLine, UndoReply, UserLine,
};
pub use swipeset_core::accounts::Caller;

/// The random identity a browser carries in its `swipeset_annotator` cookie. The server's
/// identity middleware puts it in the request's extensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BrowserIdentity(pub String);

/// The database, provided as context by the server for every render and server function.
pub fn store() -> Result<Store, ApiError> {
    use_context::<Store>()
        .ok_or_else(|| ApiError::internal("the server did not provide a database connection"))
}

/// The identity of the browser making this request.
pub fn browser_identity() -> Result<BrowserIdentity, ApiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<BrowserIdentity>().cloned())
        .ok_or_else(|| ApiError::internal("the request carries no browser identity"))
}

/// Who is rating: the signed-in user, or where the instance allows guests, the guest of
/// this browser (created on first use). Anonymous callers elsewhere are told to sign in.
pub async fn annotator_id(store: &Store) -> Result<i32, ApiError> {
    match caller() {
        Caller::Anonymous if auth_settings().guests => {
            let identity = browser_identity()?;
            Ok(store.guests().id(store.db(), &identity.0).await?)
        }
        Caller::Anonymous => Err(sign_in_to_rate()),
        other => Ok(other.require_signed_in()?.id),
    }
}

/// Who is rating, if they are anyone yet: looking creates no guest.
pub async fn current_annotator_id(db: &DatabaseConnection) -> Result<Option<i32>, ApiError> {
    match caller() {
        Caller::Anonymous if auth_settings().guests => {
            let identity = browser_identity()?;
            Ok(
                swipeset_core::accounts::guests::find_browser_annotator(db, &identity.0)
                    .await?
                    .map(|user| user.id),
            )
        }
        Caller::Anonymous => Err(sign_in_to_rate()),
        other => Ok(Some(other.require_signed_in()?.id)),
    }
}

fn sign_in_to_rate() -> ApiError {
    swipeset_core::CoreError::unauthorized("sign in to rate").into()
}

/// Who is asking, as the server's authentication middleware found out (from the session
/// cookie or a bearer token). A request it did not see is anonymous: nothing is granted by
/// default.
pub fn caller() -> Caller {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<Caller>().cloned())
        .unwrap_or_default()
}

/// The address a request came from, as the server worked it out (the socket's peer, or
/// the proxy's `X-Forwarded-For` where the server is told to trust it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientIp(pub Option<String>);

pub fn client_ip() -> Option<String> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientIp>().cloned())
        .and_then(|ip| ip.0)
}

/// The instance's sign-in settings, provided as context by the server.
#[derive(Debug, Clone, Default)]
pub struct AuthSettings {
    /// Anyone may make an account.
    pub open_registration: bool,
    /// People may rate without an account, as the guest of their browser.
    pub guests: bool,
    /// The label of the OpenID Connect button, when a provider is configured.
    pub oidc_label: Option<String>,
    pub throttle: swipeset_core::accounts::throttle::Limits,
}

pub fn auth_settings() -> AuthSettings {
    use_context::<AuthSettings>().unwrap_or_default()
}

/// How the request was authenticated: a bearer token carries no session to change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthMethod {
    Session,
    Token,
}

pub fn signed_in_by_session() -> bool {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<AuthMethod>().copied())
        == Some(AuthMethod::Session)
}

/// What a session remembers of its user. `stamp` changes when their password or OpenID
/// link does, which ends every other session they had.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SessionUser {
    pub id: i32,
    pub stamp: String,
}

pub const SESSION_USER: &str = "user";

pub fn session_stamp(user: &swipeset_core::db::entities::user::Model) -> String {
    use sha2::{Digest, Sha256};
    let secret = user
        .password_hash
        .as_deref()
        .or(user.oidc_subject.as_deref())
        .unwrap_or("");
    hex::encode(&Sha256::digest(format!("{}:{secret}", user.id))[..8])
}

/// The caller behind a session: nobody when it holds no user, the user went away, or their
/// credentials changed since it began.
pub async fn caller_from_session(
    db: &DatabaseConnection,
    session: &tower_sessions::Session,
) -> Result<Caller, ApiError> {
    let remembered = session
        .get::<SessionUser>(SESSION_USER)
        .await
        .map_err(|e| ApiError::new(super::ErrorCode::Unavailable, format!("session store: {e}")))?;
    let Some(remembered) = remembered else {
        return Ok(Caller::Anonymous);
    };
    let user = swipeset_core::accounts::users::find(db, remembered.id).await?;
    Ok(match user {
        Some(user) if session_stamp(&user) == remembered.stamp => Caller::from_user(&user),
        _ => Caller::Anonymous,
    })
}

fn session() -> Result<tower_sessions::Session, ApiError> {
    use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<tower_sessions::Session>().cloned())
        .ok_or_else(|| ApiError::internal("the request carries no session"))
}

fn session_error(e: tower_sessions::session::Error) -> ApiError {
    ApiError::new(
        super::ErrorCode::Unavailable,
        format!("the session store did not answer: {e}"),
    )
}

/// Signs `user` in on this browser, under a new session id (so a session id planted
/// before sign-in is worth nothing after).
pub async fn begin_session(
    user: &swipeset_core::db::entities::user::Model,
) -> Result<(), ApiError> {
    start_session(&session()?, user).await
}

/// `begin_session` for a handler that holds the session itself (the OpenID callback).
pub async fn start_session(
    session: &tower_sessions::Session,
    user: &swipeset_core::db::entities::user::Model,
) -> Result<(), ApiError> {
    session.cycle_id().await.map_err(session_error)?;
    session
        .insert(
            SESSION_USER,
            SessionUser {
                id: user.id,
                stamp: session_stamp(user),
            },
        )
        .await
        .map_err(session_error)
}

/// Ends this browser's session on the server and clears its cookie.
pub async fn end_session() -> Result<(), ApiError> {
    session()?.flush().await.map_err(session_error)
}

/// `/api/me` for the current caller.
pub async fn me(db: &DatabaseConnection) -> Result<MeReply, ApiError> {
    let caller = caller();
    caller.require_not_disabled()?;
    match caller.account() {
        Some(account) => {
            let user = swipeset_core::accounts::users::find(db, account.id)
                .await?
                .ok_or_else(|| ApiError::internal("the account went away"))?;
            Ok(me_as(&user))
        }
        None => Ok(me_reply(None)),
    }
}

/// `/api/me` for a user just signed in (or up).
pub fn me_as(user: &swipeset_core::db::entities::user::Model) -> MeReply {
    let account = Caller::from_user(user);
    me_reply(account.account().map(|a| MeUser {
        name: a.name.clone(),
        role: a.role.name().to_string(),
        guest: a.guest,
        has_password: user.password_hash.is_some(),
        show_name: user.show_name,
    }))
}

fn me_reply(user: Option<MeUser>) -> MeReply {
    let settings = auth_settings();
    MeReply {
        user,
        open_registration: settings.open_registration,
        oidc: settings.oidc_label,
        guests: settings.guests,
    }
}

pub fn token_line(t: swipeset_core::db::entities::api_token::Model) -> TokenLine {
    TokenLine {
        id: t.id,
        name: t.name,
        created_at: t.created_at.to_rfc3339(),
        last_used_at: t.last_used_at.map(|t| t.to_rfc3339()),
        revoked_at: t.revoked_at.map(|t| t.to_rfc3339()),
    }
}

pub fn user_line(u: swipeset_core::accounts::users::UserLine) -> UserLine {
    let sign_in = match (u.has_password, u.has_oidc) {
        (true, true) => "password+openid",
        (false, true) => "openid",
        _ => "password",
    };
    UserLine {
        id: u.id,
        name: u.name,
        role: u.role,
        disabled: u.disabled,
        created_at: u.created_at.to_rfc3339(),
        last_sign_in_at: u.last_sign_in_at.map(|t| t.to_rfc3339()),
        sign_in: sign_in.to_string(),
        ratings: u.ratings,
    }
}

impl From<Label> for swipeset_core::Label {
    fn from(label: Label) -> Self {
        match label {
            Label::Up => swipeset_core::Label::Up,
            Label::Down => swipeset_core::Label::Down,
        }
    }
}

impl From<swipeset_core::Label> for Label {
    fn from(label: swipeset_core::Label) -> Self {
        match label {
            swipeset_core::Label::Up => Label::Up,
            swipeset_core::Label::Down => Label::Down,
        }
    }
}

impl From<&swipeset_core::db::entities::campaign::Model> for CampaignInfo {
    fn from(c: &swipeset_core::db::entities::campaign::Model) -> Self {
        Self {
            slug: c.slug.clone(),
            title: c.title.clone(),
            guidelines: c.guidelines.clone(),
            guidelines_html: super::markdown::to_safe_html(&c.guidelines),
            reveal_models: c.reveal_models,
        }
    }
}

impl From<swipeset_core::rating::deal::Card> for Card {
    fn from(c: swipeset_core::rating::deal::Card) -> Self {
        Self {
            generation_id: c.generation_id,
            prompt_id: c.prompt_id,
            prompt: c.prompt,
            system_prompt: c.system_prompt,
            response: c.response,
        }
    }
}

impl From<swipeset_core::rating::rate::RateOutcome> for RateReply {
    fn from(o: swipeset_core::rating::rate::RateOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            status: match o.status {
                swipeset_core::rating::rate::RateStatus::Recorded => RateStatus::Recorded,
                swipeset_core::rating::rate::RateStatus::AlreadyRated => RateStatus::AlreadyRated,
                swipeset_core::rating::rate::RateStatus::Undone => RateStatus::Undone,
                swipeset_core::rating::rate::RateStatus::NotNeeded => RateStatus::NotNeeded,
            },
            label: o.label.into(),
            model: o.model,
            cards: Vec::new(),
        }
    }
}

impl From<swipeset_core::rating::rate::UndoOutcome> for UndoReply {
    fn from(o: swipeset_core::rating::rate::UndoOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            undone: o.undone,
        }
    }
}

impl From<swipeset_core::rating::skip::SkipOutcome> for SkipReply {
    fn from(o: swipeset_core::rating::skip::SkipOutcome) -> Self {
        Self {
            generation_id: o.generation_id,
            skipped: o.skipped,
        }
    }
}

impl From<swipeset_core::campaign::Progress> for ProgressReply {
    fn from(p: swipeset_core::campaign::Progress) -> Self {
        Self {
            campaign: p.campaign,
            generations: p.generations,
            target: p.target,
            ratings: p.ratings,
            completed: p.completed,
            rated_by_you: p.rated_by_you,
        }
    }
}

impl From<swipeset_core::board::stats::Interval> for crate::api::Interval {
    fn from(i: swipeset_core::board::stats::Interval) -> Self {
        Self {
            estimate: i.estimate,
            low: i.low,
            high: i.high,
        }
    }
}

impl From<swipeset_core::board::leaderboard::Leaderboard> for crate::api::LeaderboardReply {
    fn from(b: swipeset_core::board::leaderboard::Leaderboard) -> Self {
        use crate::api::{
            AgreementReply, BoardProgress, ContributorLine, HourCount, ModelStanding,
        };
        Self {
            campaign: b.campaign,
            title: b.title,
            min_votes: b.min_votes,
            models: b
                .models
                .into_iter()
                .map(|m| ModelStanding {
                    model: m.model,
                    up: m.up,
                    down: m.down,
                    votes: m.votes,
                    rate: m.rate.map(Into::into),
                    rank: m.rank,
                    preliminary: m.preliminary,
                    responses: m.responses,
                    rated_responses: m.rated_responses,
                })
                .collect(),
            progress: BoardProgress {
                ratings: b.progress.ratings,
                target: b.progress.target,
                responses: b.progress.responses,
                completed: b.progress.completed,
                active_annotators: b.progress.active_annotators,
                per_hour: b
                    .progress
                    .per_hour
                    .into_iter()
                    .map(|h| HourCount {
                        hour: h.hour.to_rfc3339(),
                        ratings: h.ratings,
                    })
                    .collect(),
            },
            agreement: b.agreement.map(|a| AgreementReply {
                alpha: a.alpha,
                low: a.low,
                high: a.high,
                units: a.units,
            }),
            contributors: b
                .contributors
                .into_iter()
                .map(|c| ContributorLine {
                    name: c.name,
                    ratings: c.ratings,
                    compared: c.compared,
                    agreement: c.agreement,
                })
                .collect(),
        }
    }
}

/// The export page's preview of a planned export (or of why there is none).
pub fn export_preview(
    chosen: &swipeset_core::db::entities::campaign::Model,
    choices: &[swipeset_core::db::entities::campaign::Model],
    export: Option<&swipeset_core::export::Export>,
    problem: Option<String>,
) -> super::types::ExportPlanReply {
    use super::types::{CampaignChoice, DroppedLine, ExportPlanReply};
    let plan = export.map(|e| e.plan().clone()).unwrap_or_default();
    ExportPlanReply {
        campaign: chosen.slug.clone(),
        title: chosen.title.clone(),
        campaigns: choices
            .iter()
            .map(|c| CampaignChoice {
                slug: c.slug.clone(),
                title: c.title.clone(),
            })
            .collect(),
        rows: plan.rows,
        responses: plan.responses,
        labelled: plan.labelled,
        dropped: plan
            .dropped
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(reason, n)| DroppedLine {
                reason: reason.describe().to_string(),
                count: *n,
            })
            .collect(),
        prompts_with_pairs: plan.prompts_with_pairs,
        prompts_one_sided: plan.prompts_one_sided,
        pairs_over_cap: plan.pairs_over_cap,
        file_name: export.map(|e| e.download_name(false)).unwrap_or_default(),
        zip_name: export.map(|e| e.download_name(true)).unwrap_or_default(),
        problem,
    }
}

pub fn campaign_settings(
    c: &swipeset_core::db::entities::campaign::Model,
) -> super::CampaignSettings {
    super::CampaignSettings {
        slug: c.slug.clone(),
        title: c.title.clone(),
        guidelines: c.guidelines.clone(),
        overlap: c.overlap,
        reveal_models: c.reveal_models,
        open: c.open,
        public_board: c.public_board,
        license: c.license.clone(),
        system_prompt: c.system_prompt.clone().unwrap_or_default(),
    }
}

pub fn new_campaign(s: super::CampaignSettings) -> swipeset_core::campaign::NewCampaign {
    swipeset_core::campaign::NewCampaign {
        slug: s.slug.trim().to_string(),
        title: s.title,
        guidelines: s.guidelines,
        overlap: s.overlap,
        reveal_models: s.reveal_models,
        license: s.license.trim().to_string(),
        public_board: s.public_board,
        open: s.open,
        system_prompt: Some(s.system_prompt),
    }
}

pub fn generation_line(l: swipeset_core::generate::status::ModelStatus) -> super::GenerationLine {
    super::GenerationLine {
        model: l.model,
        responses: l.responses,
        done: l.done,
        failed: l.failed,
        last_failure: l.last_failure,
    }
}

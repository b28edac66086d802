//! The types that cross the wire: what the HTTP API sends and receives, and what the
//! browser and the server both compile. The domain crate (`swipeset-core`) builds these
//! directly and the app's pages read them, so a field added to a card is added once, here.
//!
//! Nothing here knows the database, and the only dependency is serde: the crate goes into
//! the browser's Wasm bundle, where every byte is downloaded by a phone. Times travel as
//! RFC 3339 strings for the same reason (no date library in the bundle).

mod accounts;
mod board;
mod campaign;
mod export;
mod generate;
mod hub;
mod label;
mod model_page;
mod moderation;
mod next;
mod progress;
mod rating;

pub use accounts::{MeReply, MeUser, NewToken, TokenLine, UserLine};
pub use board::{
    Agreement, BoardProgress, CategoryCount, ContributorLine, HourCount, Interval,
    LeaderboardReply, ModelStanding,
};
pub use campaign::{
    CampaignAdminReply, CampaignInfo, CampaignLine, CampaignSettings, GenerationLine,
};
pub use export::{CampaignChoice, DroppedLine, ExportPlanReply};
pub use generate::{GenerateProgress, GenerateReply, ModelProgress, ModelRow};
pub use hub::{HubStatusReply, PublishReply, SnapshotLine};
pub use label::Label;
pub use model_page::{
    HeadToHead, ModelPageReply, PairAgreement, RateSlice, ResponseLine, Strength,
};
pub use moderation::{
    AuditLine, DeleteRatingReply, FlagKind, FlagNote, FlagQueueReply, FlagReply, FlaggedResponse,
    GoldChangeReply, GoldLine, RaterChangeReply, RaterLine, RatersReply, RatingNote,
    ResponseChangeReply,
};
pub use next::safe_next;
pub use progress::{Progress, ProgressReply};
pub use rating::{
    Card, DealReply, NextCardReply, RateReply, RateStatus, ResponseRef, SkipReply, Turn, UndoReply,
};

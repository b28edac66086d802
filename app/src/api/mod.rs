//! The server functions: the app's HTTP API. Each has a fixed path under `/api` and is
//! documented in `docs/API.md`. Bodies are thin: who is asking, which campaign, then one
//! call into `swipeset_core`.

pub mod account;
pub mod board;
pub mod campaigns;
pub mod error;
pub mod export;
pub mod generate;
pub mod moderation;
pub mod publish;
pub mod rating;
#[cfg(feature = "ssr")]
pub mod ssr;

pub use account::{
    ChangePassword, CreateToken, Me, RevokeToken, SetShowName, SetUserDisabled, SetUserRole,
    SignIn, SignOut, SignUp, Tokens, Users, change_password, create_token, me, revoke_token,
    set_show_name, set_user_disabled, set_user_role, sign_in, sign_out, sign_up, tokens, users,
};
pub use board::{Leaderboard, ModelPage, leaderboard, model_page};
pub use campaigns::{
    AdminCampaign, AdminCampaigns, SaveCampaign, admin_campaign, admin_campaigns, save_campaign,
};
pub use error::{ApiError, ErrorCode};
pub use export::{ExportPreview, export_preview};
pub use generate::{
    GenerateStatus, PauseGeneration, SaveGenerateModels, StartGeneration, UploadModelsToml,
    generate_status, pause_generation, save_generate_models, start_generation, upload_models_toml,
};
pub use moderation::{
    AuditLog, CardPreview, DeleteRating, ExcludeRater, FlagCard, FlagQueue, GoldCards,
    IncludeRater, ModerateResponse, Raters, ResponseAction, SetGold, audit_log, card_preview,
    delete_rating, exclude_rater, flag_card, flag_queue, gold_cards, include_rater,
    moderate_response, raters, set_gold,
};
pub use publish::{
    ForgetHubToken, HubStatus, PublishToHub, SaveHubToken, forget_hub_token, hub_status,
    publish_to_hub, save_hub_token,
};
pub use rating::{
    MAX_DEAL, NextCard, NextCards, Progress, Rate, Skip, Undo, next_card, next_cards, progress,
    rate, skip, undo,
};
pub use swipeset_wire::*;

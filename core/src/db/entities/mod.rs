//! SeaORM entities, one module per table. The schema itself is owned by `crate::db::migration`;
//! these mirror it for queries.

pub mod annotator_stat;
pub mod api_token;
pub mod audit_log;
pub mod campaign;
pub mod card_flag;
pub mod excluded_rating;
pub mod generation;
pub mod generation_job;
pub mod generation_plan;
pub mod gold_rating;
pub mod guest_origin;
pub mod hub_setting;
pub mod lease;
pub mod model;
pub mod model_stat;
pub mod prompt;
pub mod rater_exclusion;
pub mod rating;
pub mod rating_hour;
pub mod sign_in_attempt;
pub mod sign_in_known;
pub mod skip;
pub mod undone_rating;
pub mod user;
pub mod vote_pattern;

//! `swipeset`: the command line. `serve` runs the web app; the other subcommands work on
//! the same database without a server.
//!
//! One file per subcommand, each holding its arguments and its `run`, so that a change to
//! one command reads and reviews on its own; `main.rs` only parses and dispatches. What
//! several commands share (opening the database, a progress bar) is in `open.rs`.

use clap::{Parser, Subcommand};

use crate::config::{DatabaseArgs, Settings};

pub mod backup;
pub mod campaign;
pub mod demo;
pub mod export;
pub mod generate;
pub mod healthcheck;
pub mod import;
pub mod migrate;
mod open;
pub mod publish;
pub mod rater;
pub mod response;
pub mod restore;
pub mod serve;
pub mod stats;
pub mod token;
pub mod user;

#[derive(Parser)]
#[command(
    name = "swipeset",
    version,
    about = "Rate LLM responses with a swipe; export KTO and DPO datasets."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// Run the web app (runs pending migrations first).
    Serve(Box<Settings>),
    /// Load the demo campaign (haiku written by the swipeset project) into the database.
    Demo(DatabaseArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseArgs),
    /// Create and list campaigns.
    #[command(subcommand)]
    Campaign(campaign::CampaignCommand),
    /// Import prompts or generations into a campaign (all or nothing).
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Ask OpenAI-compatible endpoints for every response a campaign still needs.
    Generate(generate::GenerateArgs),
    /// Write a dataset directory (Hugging Face layout: data/ and a README.md card).
    Export(export::ExportArgs),
    /// Export a campaign and push it to a dataset repository on the Hugging Face Hub.
    Publish(publish::PublishArgs),
    /// Put back the database of the last snapshot `serve --publish-every` published.
    Restore(restore::RestoreArgs),
    /// Accounts: add, list, roles, disable, passwords.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Raters of a campaign: their figures, and excluding or including one.
    #[command(subcommand)]
    Rater(rater::RaterCommand),
    /// Flagged and hidden responses: hide, show, dismiss flags, delete a rating.
    #[command(subcommand)]
    Response(response::ResponseCommand),
    /// The log of admins' actions on raters, responses and ratings, newest first.
    Audit(rater::AuditArgs),
    /// Personal API tokens for `Authorization: Bearer …`.
    #[command(subcommand)]
    Token(token::TokenCommand),
    /// The leaderboard's aggregates.
    #[command(subcommand)]
    Stats(stats::StatsCommand),
    /// A consistent copy of the SQLite database, taken while the server runs.
    Backup(backup::BackupArgs),
    /// Ask a running server's `/healthz`; exit 0 when it and its database are up.
    Healthcheck(healthcheck::HealthcheckArgs),
}

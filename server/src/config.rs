//! Settings, in one place: each has a command-line flag and an environment variable, and
//! `README.md` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

/// Where the data lives when nothing else is said: a SQLite file under `./data/`.
pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/swipeset.db";

#[derive(Debug, Clone, clap::Args)]
pub struct DatabaseArgs {
    /// Database URL: `sqlite://PATH` (created on first start) or `postgres://USER:PASS@HOST/DB`.
    #[arg(long, env = "DATABASE_URL", default_value = DEFAULT_DATABASE_URL)]
    pub database_url: String,
}

#[derive(Debug, Clone, clap::Args)]
pub struct Settings {
    #[command(flatten)]
    pub database: DatabaseArgs,

    /// Address and port to listen on.
    #[arg(long, env = "SWIPESET_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,

    /// Folder holding the built browser bundle (`pkg/`) and static files, as written by
    /// `cargo xtask site`.
    #[arg(long, env = "SWIPESET_SITE_ROOT", default_value = "target/site")]
    pub site_root: PathBuf,

    /// Load the demo campaign if the database holds no campaign yet.
    #[arg(long, env = "SWIPESET_DEMO")]
    pub demo: bool,

    /// Dataset downloads that may run at once; more are refused with 503 until one ends.
    #[arg(long, env = "SWIPESET_MAX_EXPORTS", default_value_t = crate::router::DEFAULT_MAX_EXPORTS)]
    pub max_exports: usize,
}

/// A clap value parser for the domain's named values (`--kind dpo`, `--format jsonl`): the
/// domain's own error, which lists the accepted names.
pub fn parse_named<T: std::str::FromStr<Err = swipeset_core::CoreError>>(
    text: &str,
) -> Result<T, String> {
    text.parse()
        .map_err(|e: swipeset_core::CoreError| e.to_string())
}

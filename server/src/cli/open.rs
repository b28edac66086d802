//! What the subcommands open before their work: the database (migrated to the current
//! schema, as `serve` would), and for long runs a progress bar on the terminal.

use indicatif::{ProgressBar, ProgressStyle};

use crate::config::DatabaseArgs;

/// The database named by `--database-url` / `DATABASE_URL`, its schema brought up to date.
/// The error names the (redacted) URL already.
pub async fn database(args: &DatabaseArgs) -> anyhow::Result<swipeset_core::DatabaseConnection> {
    Ok(swipeset_core::db::connect_pooled(&args.database_url, args.database_pool).await?)
}

/// A progress bar of `len` steps drawn with indicatif's `template`; a template that does
/// not parse falls back to the plain default bar rather than failing the command.
pub fn progress_bar(len: u64, template: &str) -> ProgressBar {
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar
}

//! `swipeset backup --out FILE`: a consistent copy of the SQLite database, taken while the
//! server runs (`swipeset_core::db::backup`). PostgreSQL gets the `pg_dump` command instead.

use std::path::PathBuf;

use crate::config::DatabaseArgs;

#[derive(Debug, Clone, clap::Args)]
pub struct BackupArgs {
    #[command(flatten)]
    pub database: DatabaseArgs,
    /// The file to write; it must not exist yet.
    #[arg(long)]
    pub out: PathBuf,
}

pub async fn run(args: BackupArgs) -> anyhow::Result<()> {
    let url = args.database.database_url.clone();
    let out = args.out.clone();
    let summary =
        tokio::task::spawn_blocking(move || swipeset_core::db::backup::sqlite(&url, &out))
            .await??;
    println!(
        "{}: {} ratings, {:.1} MB, consistent as of the start of the copy, in {:.1} s",
        args.out.display(),
        summary.ratings,
        summary.bytes as f64 / 1e6,
        summary.took.as_secs_f64()
    );
    println!(
        "restore it by stopping swipeset and starting it with --database-url sqlite://{}",
        std::path::absolute(&args.out)
            .unwrap_or_else(|_| args.out.clone())
            .display()
    );
    Ok(())
}

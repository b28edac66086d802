//! `swipeset migrate`: create or upgrade the schema and exit, for deployments that migrate
//! as a step of their own before starting the server.

use super::open;
use crate::config::DatabaseArgs;

pub async fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    open::database(&args).await?;
    println!(
        "database is up to date: {}",
        swipeset_core::db::redact(&args.database_url)
    );
    Ok(())
}

//! `swipeset token …`: personal API tokens from the command line, for scripts. A token is
//! printed once, on stdout alone (the note goes to stderr), so `$(swipeset token create …)`
//! captures just the token; only its hash is stored.

use swipeset_core::accounts::{tokens, users};

use super::open;
use crate::config::DatabaseArgs;

#[derive(Debug, clap::Subcommand)]
pub enum TokenCommand {
    /// Make an API token for `Authorization: Bearer …`; it is printed once.
    Create {
        /// Whose token it is.
        #[arg(long)]
        user: String,
        /// What it is for, to tell tokens apart later.
        #[arg(long, default_value = "cli")]
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List a user's tokens (never the tokens themselves).
    List {
        #[arg(long)]
        user: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Revoke a token by its id: it stops working at once.
    Revoke {
        id: i32,
        #[arg(long)]
        user: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

pub async fn run(command: TokenCommand) -> anyhow::Result<()> {
    match command {
        TokenCommand::Create {
            user,
            name,
            database,
        } => {
            let db = open::database(&database).await?;
            let owner = users::get_by_name(&db, &user).await?;
            let (row, token) = tokens::create(&db, owner.id, &name).await?;
            eprintln!(
                "made token {} `{}` for `{}`; it is shown once:",
                row.id, row.name, user
            );
            println!("{token}");
        }
        TokenCommand::List { user, database } => {
            let db = open::database(&database).await?;
            let owner = users::get_by_name(&db, &user).await?;
            for t in tokens::list(&db, owner.id).await? {
                let state = match t.revoked_at {
                    Some(at) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    None => "active".to_string(),
                };
                println!(
                    "{:>5}  {:<24} made {}  last used {}  {state}",
                    t.id,
                    t.name,
                    t.created_at.format("%Y-%m-%d %H:%M"),
                    t.last_used_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".into()),
                );
            }
        }
        TokenCommand::Revoke { id, user, database } => {
            let db = open::database(&database).await?;
            let owner = users::get_by_name(&db, &user).await?;
            tokens::revoke(&db, owner.id, id).await?;
            println!("revoked token {id} of `{user}`");
        }
    }
    Ok(())
}

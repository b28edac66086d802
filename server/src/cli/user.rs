//! `swipeset user …`: accounts from the command line, for the first admin and for scripts.
//! Passwords come from stdin (`--password-stdin`) or are generated and printed once, so
//! they never sit in the shell's history.

use std::io::BufRead;

use anyhow::Context;
use swipeset_core::accounts::{Role, users};

use super::open;
use crate::config::{DatabaseArgs, parse_named};

#[derive(Debug, clap::Subcommand)]
pub enum UserCommand {
    /// Make an account (an annotator unless `--admin`).
    Add {
        name: String,
        /// Make an admin: manages campaigns, users and exports.
        #[arg(long)]
        admin: bool,
        /// Read the password from the first line of stdin instead of generating one.
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// List accounts with their role, state and ratings.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Give an account a role: `admin` or `annotator`.
    SetRole {
        name: String,
        #[arg(value_parser = parse_named::<Role>)]
        role: Role,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Disable an account: its sessions and tokens stop working at once.
    Disable {
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Re-enable a disabled account.
    Enable {
        name: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Set a new password (generated and printed unless `--password-stdin`). The account's
    /// other sessions end.
    Password {
        name: String,
        #[arg(long)]
        password_stdin: bool,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The password to set: stdin's first line, or a generated one that is printed.
fn new_password(from_stdin: bool) -> anyhow::Result<(String, bool)> {
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        anyhow::ensure!(!password.is_empty(), "stdin held no password");
        Ok((password, false))
    } else {
        Ok((swipeset_core::accounts::password::generate(), true))
    }
}

pub async fn run(command: UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add {
            name,
            admin,
            password_stdin,
            database,
        } => {
            let db = open::database(&database).await?;
            let (password, generated) = new_password(password_stdin)?;
            let role = if admin { Role::Admin } else { Role::Annotator };
            let user = users::create(&db, &name, &password, role)
                .await
                .with_context(|| format!("adding the user `{name}`"))?;
            println!("added {} `{}`", user.role, user.name);
            if generated {
                println!("password (shown once): {password}");
            }
        }
        UserCommand::List { database } => {
            let db = open::database(&database).await?;
            let lines = users::list(&db).await?;
            if lines.is_empty() {
                println!("no accounts yet; add one with `swipeset user add NAME --admin`");
            }
            for u in lines {
                println!(
                    "{:>5}  {:<24} {:<10} {:<9} {:>7} ratings  last sign-in {}",
                    u.id,
                    u.name,
                    u.role,
                    if u.disabled { "disabled" } else { "enabled" },
                    u.ratings,
                    u.last_sign_in_at
                        .as_deref()
                        .and_then(|t| t.get(..16))
                        .map_or_else(|| "never".into(), |t| t.replace('T', " "))
                );
            }
        }
        UserCommand::SetRole {
            name,
            role,
            database,
        } => {
            let db = open::database(&database).await?;
            let user = users::get_by_name(&db, &name).await?;
            users::set_role(&db, user.id, role).await?;
            println!("`{name}` is now {}", role.name());
        }
        UserCommand::Disable { name, database } => set_disabled(&name, &database, true).await?,
        UserCommand::Enable { name, database } => set_disabled(&name, &database, false).await?,
        UserCommand::Password {
            name,
            password_stdin,
            database,
        } => {
            let db = open::database(&database).await?;
            let user = users::get_by_name(&db, &name).await?;
            let (password, generated) = new_password(password_stdin)?;
            users::set_password(&db, user.id, &password).await?;
            println!("set a new password for `{name}`");
            if generated {
                println!("password (shown once): {password}");
            }
        }
    }
    Ok(())
}

async fn set_disabled(name: &str, database: &DatabaseArgs, disabled: bool) -> anyhow::Result<()> {
    let db = open::database(database).await?;
    let user = users::get_by_name(&db, name).await?;
    users::set_disabled(&db, user.id, disabled).await?;
    println!(
        "`{name}` is {}",
        if disabled {
            "disabled"
        } else {
            "enabled again"
        }
    );
    Ok(())
}

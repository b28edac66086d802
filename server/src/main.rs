//! `swipeset`: parse the command line, start logging, run the subcommand. The commands
//! themselves are in `cli/`, one file each.

use clap::Parser;
use swipeset_server::cli::{self, Cli, Command};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    match cli.command {
        Command::Serve(settings) => cli::serve::run(*settings).await,
        Command::Demo(args) => cli::demo::run(args).await,
        Command::Migrate(args) => cli::migrate::run(args).await,
        Command::Campaign(command) => cli::campaign::run(command).await,
        Command::Import(command) => cli::import::run(command).await,
        Command::Generate(args) => cli::generate::run(args).await,
        Command::Export(args) => cli::export::run(args).await,
        Command::Publish(args) => cli::publish::run(args).await,
        Command::Restore(args) => cli::restore::run(args).await,
        Command::User(command) => cli::user::run(command).await,
        Command::Rater(command) => cli::rater::run(command).await,
        Command::Response(command) => cli::response::run(command).await,
        Command::Audit(args) => cli::rater::audit(args).await,
        Command::Token(command) => cli::token::run(command).await,
        Command::Stats(command) => cli::stats::run(command).await,
        Command::Backup(args) => cli::backup::run(args).await,
        Command::Healthcheck(args) => cli::healthcheck::run(args).await,
    }
}

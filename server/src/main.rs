//! `swipeset`: the command line. `serve` runs the web app; the other subcommands work on
//! the same database without a server.

use anyhow::Context;
use clap::{Parser, Subcommand};
use swipeset_server::config::{DatabaseArgs, Settings};
use swipeset_server::{AppState, router, shutdown};

#[derive(Parser)]
#[command(
    name = "swipeset",
    version,
    about = "Rate LLM responses with a swipe; export KTO and DPO datasets."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web app (runs pending migrations first).
    Serve(Settings),
    /// Load the demo campaign (haiku written by the swipeset project) into the database.
    Demo(DatabaseArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(DatabaseArgs),
    /// Create and list campaigns.
    #[command(subcommand)]
    Campaign(swipeset_server::data_commands::CampaignCommand),
    /// Import prompts or generations into a campaign (all or nothing).
    #[command(subcommand)]
    Import(swipeset_server::data_commands::ImportCommand),
    /// Ask OpenAI-compatible endpoints for every response a campaign still needs.
    Generate(swipeset_server::data_commands::GenerateArgs),
    /// Write a dataset directory (Hugging Face layout: data/ and a README.md card).
    Export(swipeset_server::export_command::ExportArgs),
    /// Accounts: add, list, roles, disable, passwords.
    #[command(subcommand)]
    User(swipeset_server::user_commands::UserCommand),
    /// Personal API tokens for `Authorization: Bearer …`.
    #[command(subcommand)]
    Token(swipeset_server::user_commands::TokenCommand),
    /// The leaderboard's aggregates.
    #[command(subcommand)]
    Stats(StatsCommand),
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Recount the leaderboard's aggregates from the ratings, report any drift, and fix it.
    Rebuild {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Only report the drift; change nothing.
        #[arg(long)]
        check: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,sqlx=warn,sea_orm=warn".into()),
        )
        .init();
    match Cli::parse().command {
        Command::Serve(settings) => serve(settings).await,
        Command::Export(args) => swipeset_server::export_command::run(args).await,
        Command::Campaign(command) => swipeset_server::data_commands::campaign(command).await,
        Command::Import(command) => swipeset_server::data_commands::import(command).await,
        Command::Generate(args) => swipeset_server::data_commands::generate(args).await,
        Command::User(command) => swipeset_server::user_commands::user(command).await,
        Command::Token(command) => swipeset_server::user_commands::token(command).await,
        Command::Demo(args) => {
            let db = open(&args).await?;
            report_demo(swipeset_core::campaign::demo::load(&db).await?);
            Ok(())
        }
        Command::Stats(StatsCommand::Rebuild { database, check }) => {
            let db = open(&database).await?;
            let drift = swipeset_core::board::aggregates::rebuild(&db, !check)
                .await
                .context("recounting the aggregates")?;
            report_drift(&drift, check);
            // A check that found drift exits non-zero, so scripts and monitors notice.
            if check && !drift.is_clean() {
                std::process::exit(1);
            }
            Ok(())
        }
        Command::Migrate(args) => {
            open(&args).await?;
            println!(
                "database is up to date: {}",
                swipeset_core::db::redact(&args.database_url)
            );
            Ok(())
        }
    }
}

async fn open(args: &DatabaseArgs) -> anyhow::Result<swipeset_core::DatabaseConnection> {
    Ok(swipeset_core::db::connect(&args.database_url).await?)
}

fn report_drift(drift: &swipeset_core::board::aggregates::Drift, check: bool) {
    println!("counted {} ratings", drift.ratings);
    if drift.is_clean() {
        println!("no drift: every aggregate matches the ratings");
        return;
    }
    let verb = if check {
        "differ"
    } else {
        "differed and were rewritten"
    };
    for (n, what) in [
        (drift.generations, "generation counters"),
        (drift.model_stats, "per-model 👍/👎 rows"),
        (drift.vote_patterns, "vote-pattern rows"),
        (drift.rating_hours, "ratings-per-hour rows"),
        (drift.annotator_stats, "per-annotator rows"),
    ] {
        if n > 0 {
            println!("{n} {what} {verb}");
        }
    }
    if check {
        println!("run `swipeset stats rebuild` (without --check) to fix them");
    }
}

/// Makes the first admin of an empty instance, from `SWIPESET_ADMIN_PASSWORD` or with a
/// one-time password, and says how to sign in.
async fn first_admin(db: &swipeset_core::DatabaseConnection) -> anyhow::Result<Option<String>> {
    let given = std::env::var("SWIPESET_ADMIN_PASSWORD")
        .ok()
        .filter(|p| !p.is_empty());
    let made = swipeset_core::accounts::users::ensure_first_admin(db, given.as_deref())
        .await
        .context(
            "making the first admin (SWIPESET_ADMIN_PASSWORD must have 8 or more characters)",
        )?;
    Ok(made.map(|(user, generated)| match generated {
        Some(password) => format!(
            "  first admin made: sign in at /login as `{}` with this one-time password:\n\n      {password}\n\n  (it is not shown again; change it on /profile, or set one with `swipeset user password {}`)",
            user.name, user.name
        ),
        None => format!(
            "  first admin made: sign in at /login as `{}` with SWIPESET_ADMIN_PASSWORD",
            user.name
        ),
    }))
}

fn report_demo(outcome: swipeset_core::campaign::demo::DemoOutcome) {
    if outcome.created {
        println!(
            "loaded the demo campaign {:?}: {} prompts, {} responses from 3 demo models",
            outcome.campaign, outcome.prompts, outcome.generations
        );
    } else {
        println!(
            "the demo campaign {:?} is already there; nothing changed",
            outcome.campaign
        );
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let db = open(&settings.database).await?;
    if settings.demo && swipeset_core::campaign::demo::database_is_empty(&db).await? {
        report_demo(swipeset_core::campaign::demo::load(&db).await?);
    }
    if !settings.site_root.join("pkg").exists() {
        tracing::warn!(
            site_root = %settings.site_root.display(),
            "no browser bundle found: pages will render but not hydrate; run `cargo xtask site`"
        );
    }
    let auth = settings
        .access
        .auth_config(&settings.oidc, &swipeset_server::config::ProcessEnv)?;
    let first_admin = first_admin(&db).await?;
    let guests = auth.guests;
    let open_registration = auth.open_registration;
    let oidc_label = auth.oidc.as_ref().map(|o| o.settings.label.clone());
    let state = AppState::new(db, &settings.site_root)
        .with_export_limit(settings.max_exports)
        .with_upload_limit(settings.max_upload_bytes)
        .with_auth(auth)
        .with_database_events()
        .await?;
    state.sessions.delete_expired_hourly();
    let live = state.live.clone();
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let listener = tokio::net::TcpListener::bind(settings.addr)
        .await
        .with_context(|| format!("cannot listen on {}", settings.addr))?;
    println!();
    println!("  swipeset is running at http://{}", settings.addr);
    println!(
        "  database: {}",
        swipeset_core::db::redact(&settings.database.database_url)
    );
    if let Some(line) = first_admin {
        println!("{line}");
    }
    if guests {
        println!("  guests may rate: each browser rates as its own guest annotator");
    }
    if open_registration {
        println!("  anyone may sign up at /signup");
    }
    if let Some(label) = oidc_label {
        println!("  sign-in with {label} is on");
    }
    println!("  press Ctrl-C to stop");
    println!();
    // Event streams never finish on their own: end them when shutdown starts, so the
    // requests that do finish can be waited for.
    let stopping = async move {
        shutdown::signal().await;
        live.close();
    };
    axum::serve(listener, app)
        .with_graceful_shutdown(stopping)
        .await
        .context("the HTTP server failed")?;
    println!("swipeset stopped");
    Ok(())
}

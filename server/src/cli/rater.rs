//! `swipeset rater …`: each rater's figures in a campaign, and excluding or including a
//! rater, as the admin's raters page does; `swipeset audit`: the log of such actions.
//! Actions from here are logged as the `command line`'s.

use anyhow::Context;
use swipeset_core::Store;
use swipeset_core::moderation::{Actor, audit, exclusion, raters};

use super::open;
use crate::config::DatabaseArgs;

#[derive(Debug, clap::Subcommand)]
pub enum RaterCommand {
    /// Every rater of a campaign with their figures and flags, most ratings first.
    List {
        #[arg(long)]
        campaign: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Take a rater's ratings out of a campaign's leaderboard, labels and exports (they stay
    /// stored), and keep them from rating there.
    Exclude {
        /// The rater's user name (a guest's is `guest-…`, as `rater list` shows it).
        name: String,
        #[arg(long)]
        campaign: String,
        /// Why, for the audit log.
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Count an excluded rater's ratings again and let them rate.
    Include {
        name: String,
        #[arg(long)]
        campaign: String,
        #[arg(long)]
        reason: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct AuditArgs {
    /// The newest this many lines.
    #[arg(long, default_value_t = 50)]
    pub limit: u64,
    #[command(flatten)]
    pub database: DatabaseArgs,
}

pub async fn run(command: RaterCommand) -> anyhow::Result<()> {
    match command {
        RaterCommand::List {
            campaign: slug,
            database,
        } => {
            let db = open::database(&database).await?;
            let campaign = swipeset_core::campaign::get(&db, &slug).await?;
            let list = raters::list(&db, &campaign).await?;
            if list.is_empty() {
                println!("nobody has rated in `{slug}` yet");
            }
            for r in list {
                let agreement = r.agreement().map_or("-".to_string(), |a| {
                    format!(
                        "{:.0}% [{:.0}–{:.0}]",
                        a.estimate * 100.0,
                        a.low * 100.0,
                        a.high * 100.0
                    )
                });
                let median = match (r.timed, r.median_under_ms) {
                    (0, _) => "-".to_string(),
                    (_, Some(ms)) => format!("<{:.1} s", ms as f64 / 1000.0),
                    (_, None) => ">60 s".to_string(),
                };
                let thresholds = swipeset_core::campaign::RaterFlags::of(&campaign);
                let flags: Vec<String> = r.flags.iter().map(|f| f.describe(thresholds)).collect();
                let gold = r.gold_accuracy().map_or("-".to_string(), |a| {
                    format!(
                        "{:.0}% [{:.0}–{:.0}] of {}",
                        a.estimate * 100.0,
                        a.low * 100.0,
                        a.high * 100.0,
                        r.gold
                    )
                });
                println!(
                    "{:<24} {:>6} ratings  {:>4} 👍  agreement {agreement:<16} gold {gold:<20} median {median:<7} {} skips{}{}{}",
                    r.name,
                    r.ratings,
                    r.up_share()
                        .map_or("-".to_string(), |s| format!("{:.0}%", s * 100.0)),
                    r.skips,
                    match r.held {
                        0 => String::new(),
                        n => format!("  HELD BACK: {n} (a guest not released yet)"),
                    },
                    r.excluded
                        .as_ref()
                        .map_or(String::new(), |why| format!("  EXCLUDED: {why}")),
                    if flags.is_empty() {
                        String::new()
                    } else {
                        format!("  flags: {}", flags.join("; "))
                    },
                );
            }
            Ok(())
        }
        RaterCommand::Exclude {
            name,
            campaign: slug,
            reason,
            database,
        } => change(&database, &slug, &name, &reason, true).await,
        RaterCommand::Include {
            name,
            campaign: slug,
            reason,
            database,
        } => change(&database, &slug, &name, &reason, false).await,
    }
}

async fn change(
    database: &DatabaseArgs,
    slug: &str,
    name: &str,
    reason: &str,
    exclude: bool,
) -> anyhow::Result<()> {
    let db = open::database(database).await?;
    let campaign = swipeset_core::campaign::get(&db, slug).await?;
    let user = swipeset_core::accounts::users::find_by_name(&db, name)
        .await?
        .with_context(|| {
            format!("no user is named `{name}` (see `swipeset rater list --campaign {slug}`)")
        })?;
    let store = Store::new(db);
    let moved = if exclude {
        exclusion::exclude(&store, &campaign, user.id, Actor::CommandLine, reason).await?
    } else {
        exclusion::include(&store, &campaign, user.id, Actor::CommandLine, reason).await?
    };
    if exclude {
        println!(
            "excluded `{name}` from `{slug}`: {} ratings set aside (stored, not counted)",
            moved.ratings
        );
    } else {
        println!(
            "included `{name}` in `{slug}` again: {} ratings counted",
            moved.ratings
        );
    }
    Ok(())
}

pub async fn audit(args: AuditArgs) -> anyhow::Result<()> {
    let db = open::database(&args.database).await?;
    let lines = audit::recent(&db, args.limit).await?;
    if lines.is_empty() {
        println!("no admin actions recorded yet");
    }
    for line in lines {
        println!(
            "{}  {:<14} {:<14} {}  ({})",
            line.created_at.format("%Y-%m-%d %H:%M:%S"),
            line.actor,
            line.action,
            line.target,
            line.reason
        );
    }
    Ok(())
}

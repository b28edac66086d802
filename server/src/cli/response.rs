//! `swipeset response …`: the flag queue from a shell, as the admin's flags page has it:
//! what raters flagged, hiding a response or showing it again, dismissing its flags, and
//! deleting a single rating; and gold cards, as the campaign page has them. Actions from here are logged as the `command line`'s.

use swipeset_core::Store;
use swipeset_core::moderation::{Actor, flags, hiding};

use super::open;
use crate::config::DatabaseArgs;

#[derive(Debug, clap::Subcommand)]
pub enum ResponseCommand {
    /// Responses with open flags (most flagged first), then the hidden ones.
    Flagged {
        #[arg(long)]
        campaign: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
    /// Take a response out of the deck, the leaderboard and the exports (its ratings stay
    /// stored) and resolve its flags.
    Hide(Action),
    /// Deal and count a hidden response again.
    Show(Action),
    /// Resolve a response's open flags, changing nothing else.
    Dismiss(Action),
    /// Delete one rating for good (its id is in `response flagged`).
    DeleteRating(Action),
    /// Make a response a gold card expecting `--expect up|down` (or change its label).
    Gold {
        #[command(flatten)]
        action: Action,
        /// The right label: `up` (👍) or `down` (👎).
        #[arg(long, value_parser = ["up", "down"])]
        expect: String,
    },
    /// Make a gold card an ordinary response again.
    Ungold(Action),
    /// The campaign's gold cards with how raters did on each.
    GoldList {
        #[arg(long)]
        campaign: String,
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

#[derive(Debug, clap::Args)]
pub struct Action {
    /// The response's id (the rating's, for `delete-rating`).
    id: i32,
    #[arg(long)]
    campaign: String,
    /// Why, for the audit log.
    #[arg(long)]
    reason: String,
    #[command(flatten)]
    database: DatabaseArgs,
}

pub async fn run(command: ResponseCommand) -> anyhow::Result<()> {
    match command {
        ResponseCommand::Flagged { campaign, database } => flagged(&database, &campaign).await,
        ResponseCommand::Hide(a) => {
            let (store, campaign) = open_campaign(&a).await?;
            let done = hiding::hide(&store, &campaign, a.id, Actor::CommandLine, &a.reason).await?;
            println!(
                "hid response {} of `{}`: {} ratings set aside (stored, not counted), {} flags resolved",
                a.id, campaign.slug, done.ratings, done.flags
            );
            Ok(())
        }
        ResponseCommand::Show(a) => {
            let (store, campaign) = open_campaign(&a).await?;
            let done = hiding::show(&store, &campaign, a.id, Actor::CommandLine, &a.reason).await?;
            println!(
                "response {} of `{}` is dealt again: {} ratings counted",
                a.id, campaign.slug, done.ratings
            );
            Ok(())
        }
        ResponseCommand::Dismiss(a) => {
            let (store, campaign) = open_campaign(&a).await?;
            let n = flags::dismiss(&store, &campaign, a.id, Actor::CommandLine, &a.reason).await?;
            println!(
                "dismissed {n} flags of response {} of `{}`",
                a.id, campaign.slug
            );
            Ok(())
        }
        ResponseCommand::Gold { action: a, expect } => gold(&a, Some(expect == "up")).await,
        ResponseCommand::Ungold(a) => gold(&a, None).await,
        ResponseCommand::GoldList { campaign, database } => {
            let db = open::database(&database).await?;
            let campaign = swipeset_core::campaign::get(&db, &campaign).await?;
            let items = swipeset_core::rating::gold::items(&db, &campaign).await?;
            if items.is_empty() {
                println!("no gold cards in `{}`", campaign.slug);
            }
            for g in items {
                println!(
                    "response {} ({}): expects {}, {} of {} raters right  {}",
                    g.response_id,
                    g.model,
                    if g.expected { "up" } else { "down" },
                    g.correct,
                    g.votes,
                    one_line(&g.response, 60)
                );
            }
            Ok(())
        }
        ResponseCommand::DeleteRating(a) => {
            let (store, campaign) = open_campaign(&a).await?;
            let done =
                hiding::delete_rating(&store, &campaign, a.id, Actor::CommandLine, &a.reason)
                    .await?;
            println!(
                "deleted rating {} ({:?} by user {} of response {}) from `{}`",
                a.id, done.label, done.user_id, done.response_id, campaign.slug
            );
            Ok(())
        }
    }
}

async fn gold(action: &Action, expect: Option<bool>) -> anyhow::Result<()> {
    let (store, campaign) = open_campaign(action).await?;
    let change = swipeset_core::rating::gold::mark(
        &store,
        &campaign,
        action.id,
        expect,
        Actor::CommandLine,
        &action.reason,
    )
    .await?;
    match expect {
        Some(up) => println!(
            "response {} of `{}` is a gold card expecting {}: {} ratings became gold votes",
            action.id,
            campaign.slug,
            if up { "up" } else { "down" },
            change.votes
        ),
        None => println!(
            "response {} of `{}` is an ordinary response again: {} gold votes counted",
            action.id, campaign.slug, change.votes
        ),
    }
    Ok(())
}

async fn open_campaign(
    action: &Action,
) -> anyhow::Result<(Store, swipeset_core::db::entities::campaign::Model)> {
    let db = open::database(&action.database).await?;
    let campaign = swipeset_core::campaign::get(&db, &action.campaign).await?;
    Ok((Store::new(db), campaign))
}

async fn flagged(database: &DatabaseArgs, slug: &str) -> anyhow::Result<()> {
    let db = open::database(database).await?;
    let campaign = swipeset_core::campaign::get(&db, slug).await?;
    let queue = flags::queue(&db, &campaign).await?;
    if queue.flagged.is_empty() && queue.hidden.is_empty() {
        println!("no flagged or hidden responses in `{slug}`");
    }
    for (title, list) in [("flagged", &queue.flagged), ("hidden", &queue.hidden)] {
        if list.is_empty() {
            continue;
        }
        println!("{title}:");
        for r in list {
            let open = r.flags.iter().filter(|f| !f.resolved).count();
            println!(
                "  response {} ({}): {open} open flags, {} ratings  {}",
                r.response_id,
                r.model,
                r.ratings.len(),
                one_line(&r.response, 60)
            );
            for f in r.flags.iter().filter(|f| !f.resolved) {
                println!(
                    "    flag: {} by {}{}",
                    f.kind.describe(),
                    f.rater,
                    f.note
                        .as_ref()
                        .map_or(String::new(), |n| format!(": {}", one_line(n, 80)))
                );
            }
            for rating in &r.ratings {
                println!(
                    "    rating {}: {:?} by {}{}",
                    rating.rating_id,
                    rating.label,
                    rating.rater,
                    if rating.counted { "" } else { " (set aside)" }
                );
            }
        }
    }
    Ok(())
}

/// `text` on one line, cut to `max` characters.
fn one_line(text: &str, max: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

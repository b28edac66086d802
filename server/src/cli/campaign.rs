//! `swipeset campaign …`: create, change and list campaigns from the command line, with
//! the same rules as the admin pages (the domain crate checks them).

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use swipeset_core::campaign::NewCampaign;

use super::open;
use crate::config::DatabaseArgs;

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create a campaign.
    Create {
        #[command(flatten)]
        database: DatabaseArgs,
        /// Short name used in URLs and commands (letters, digits, dashes).
        slug: String,
        /// The title people see.
        #[arg(long)]
        title: String,
        /// Independent ratings each response collects.
        #[arg(long, default_value_t = 3)]
        overlap: i32,
        /// Show the model's name after each swipe (blind otherwise).
        #[arg(long)]
        reveal_models: bool,
        /// A text file with the guidelines annotators see first.
        #[arg(long)]
        guidelines: Option<PathBuf>,
        /// The license of its exported datasets, as a Hub id (cc-by-4.0, apache-2.0, …).
        #[arg(long, default_value = "other")]
        license: String,
        /// Let anyone see its leaderboard without signing in.
        #[arg(long)]
        public_board: bool,
        /// The system prompt of prompts that have none of their own (used by `generate`,
        /// shown on cards, exported in the conversational variant).
        #[arg(long)]
        system_prompt: Option<String>,
        /// About one card in this many is a gold card, where it has any (0: none).
        #[arg(long, default_value_t = swipeset_core::campaign::DEFAULT_GOLD_EVERY)]
        gold_every: i32,
        /// Collect votes on a response until one side leads by two (the overlap is then
        /// the most a response gets).
        #[arg(long)]
        adaptive_overlap: bool,
        /// Hold a guest's votes back from every count until they have made this many
        /// decisions, a right vote on a gold card among them where there are gold cards
        /// (0: count them at once; at most 50).
        #[arg(long, default_value_t = 0)]
        guest_hold_back: i32,
        /// Show prompts and responses on cards exactly as written (poetry) instead of as
        /// markdown (code blocks, lists, tables).
        #[arg(long)]
        plain_text: bool,
        /// The metadata field that sorts prompts into categories (`topic`, `language`):
        /// model pages and the board break the 👍 rate down by it.
        #[arg(long)]
        category: Option<String>,
    },
    /// Change a campaign's settings; what is not given stays as it is.
    Edit {
        #[command(flatten)]
        database: DatabaseArgs,
        slug: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long)]
        overlap: Option<i32>,
        /// `true` to show the model's name after each swipe, `false` for blind rating.
        #[arg(long)]
        reveal_models: Option<bool>,
        /// A text file with new guidelines (markdown).
        #[arg(long)]
        guidelines: Option<PathBuf>,
        #[arg(long)]
        license: Option<String>,
        #[arg(long)]
        public_board: Option<bool>,
        /// `false` closes the campaign for rating (its data stays); `true` opens it again.
        #[arg(long)]
        open: Option<bool>,
        /// A new system prompt; an empty string removes it.
        #[arg(long)]
        system_prompt: Option<String>,
        /// About one card in this many is a gold card (0: none).
        #[arg(long)]
        gold_every: Option<i32>,
        /// `true` to stop collecting votes on a response once one side leads by two.
        #[arg(long)]
        adaptive_overlap: Option<bool>,
        /// Decisions a guest makes before their votes count (0: at once).
        #[arg(long)]
        guest_hold_back: Option<i32>,
        /// `false` to show prompts and responses exactly as written, `true` as markdown.
        #[arg(long)]
        render_markdown: Option<bool>,
        /// The metadata field that sorts prompts into categories; an empty string removes it.
        #[arg(long)]
        category: Option<String>,
    },
    /// List campaigns with their counts.
    List {
        #[command(flatten)]
        database: DatabaseArgs,
    },
}

/// The text of a guidelines file, if one is named.
fn read_guidelines(path: Option<&std::path::Path>) -> anyhow::Result<Option<String>> {
    path.map(|path| {
        std::fs::read_to_string(path)
            .with_context(|| format!("reading the guidelines from {}", path.display()))
    })
    .transpose()
}

pub async fn run(command: CampaignCommand) -> anyhow::Result<()> {
    match command {
        CampaignCommand::Create {
            database,
            slug,
            title,
            overlap,
            reveal_models,
            guidelines,
            license,
            public_board,
            system_prompt,
            gold_every,
            adaptive_overlap,
            guest_hold_back,
            plain_text,
            category,
        } => {
            let guidelines = read_guidelines(guidelines.as_deref())?.unwrap_or_default();
            let db = open::database(&database).await?;
            let created = swipeset_core::campaign::create(
                &db,
                NewCampaign {
                    slug,
                    title,
                    guidelines,
                    overlap,
                    reveal_models,
                    license,
                    public_board,
                    open: true,
                    system_prompt,
                    flags: Default::default(),
                    gold_every,
                    adaptive_overlap,
                    guest_hold_back,
                    render_markdown: !plain_text,
                    category_field: category,
                },
            )
            .await
            .context("creating the campaign")?;
            println!(
                "created campaign `{}` ({}), overlap {}",
                created.slug, created.title, created.overlap
            );
            Ok(())
        }
        CampaignCommand::Edit {
            database,
            slug,
            title,
            overlap,
            reveal_models,
            guidelines,
            license,
            public_board,
            open,
            system_prompt,
            gold_every,
            adaptive_overlap,
            guest_hold_back,
            render_markdown,
            category,
        } => {
            let guidelines = read_guidelines(guidelines.as_deref())?;
            let db = open::database(&database).await?;
            let c = swipeset_core::campaign::resolve(&db, Some(&slug))
                .await?
                .with_context(|| format!("no campaign `{slug}`"))?;
            let flags = swipeset_core::campaign::RaterFlags::of(&c);
            let settings = NewCampaign {
                slug: c.slug.clone(),
                title: title.unwrap_or(c.title),
                guidelines: guidelines.unwrap_or(c.guidelines),
                overlap: overlap.unwrap_or(c.overlap),
                reveal_models: reveal_models.unwrap_or(c.reveal_models),
                license: license.unwrap_or(c.license),
                public_board: public_board.unwrap_or(c.public_board),
                open: open.unwrap_or(c.open),
                system_prompt: system_prompt.or(c.system_prompt),
                flags,
                gold_every: gold_every.unwrap_or(c.gold_every),
                adaptive_overlap: adaptive_overlap.unwrap_or(c.adaptive_overlap),
                guest_hold_back: guest_hold_back.unwrap_or(c.guest_hold_back),
                render_markdown: render_markdown.unwrap_or(c.render_markdown),
                category_field: category.or(c.category_field),
            };
            let saved = swipeset_core::campaign::update(&db, &slug, settings)
                .await
                .context("nothing was changed")?;
            // A lower hold-back may release guests held until now.
            let released = swipeset_core::rating::hold_back::release_due(
                &swipeset_core::Store::new(db),
                &saved,
            )
            .await
            .context("releasing held guests")?;
            if released > 0 {
                println!("{released} guests held back until now count from now on");
            }
            println!(
                "campaign `{}` ({}): overlap {}, {}, board {}",
                saved.slug,
                saved.title,
                saved.overlap,
                if saved.open { "open" } else { "closed" },
                if saved.public_board {
                    "public"
                } else {
                    "for signed-in users"
                }
            );
            Ok(())
        }
        CampaignCommand::List { database } => {
            let db = open::database(&database).await?;
            let all = swipeset_core::campaign::list(&db).await?;
            if all.is_empty() {
                println!("no campaigns yet: `swipeset campaign create SLUG --title TITLE`");
            }
            for c in all {
                let progress = swipeset_core::board::progress::progress(&db, &c).await?;
                println!(
                    "{:<24} {:<32} {:>7} responses  {:>8} of {} ratings",
                    c.slug, c.title, progress.responses, progress.ratings, progress.target
                );
            }
            Ok(())
        }
    }
}

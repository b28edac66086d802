//! `swipeset demo`: the demo campaign, so that a new instance has something to rate.
//! `serve --demo` loads the same campaign and reports it the same way.

use super::open;
use crate::config::DatabaseArgs;

pub async fn run(args: DatabaseArgs) -> anyhow::Result<()> {
    let db = open::database(&args).await?;
    report(swipeset_core::campaign::demo::load(&db).await?);
    Ok(())
}

/// What loading the demo did: the campaign it made, or that it was already there.
pub(super) fn report(outcome: swipeset_core::campaign::demo::DemoOutcome) {
    if outcome.created {
        println!(
            "loaded the demo campaign {:?}: {} prompts, {} responses from 3 demo models",
            outcome.campaign, outcome.prompts, outcome.responses
        );
    } else {
        println!(
            "the demo campaign {:?} is already there; nothing changed",
            outcome.campaign
        );
    }
}

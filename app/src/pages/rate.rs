//! `/`: the rating screen. The server renders the first card, so it shows before the Wasm
//! bundle loads; after hydration each 👍 / 👎 goes to the `rate` server function and the
//! next card replaces the current one without a page load.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{Label, NextCardReply, Rate, RateReply, RateStatus, next_card, progress};
use crate::components::card::RatingCard;
use crate::components::notices::{AllRated, ErrorNotice, NoCampaign};
use crate::components::progress::ProgressLine;

#[component]
pub fn RatePage() -> impl IntoView {
    let query = use_query_map();
    let campaign = move || query.read().get("campaign");
    let rate = ServerAction::<Rate>::new();
    let next = Resource::new(
        move || (campaign(), rate.version().get()),
        |(campaign, _)| next_card(campaign),
    );
    let progress = Resource::new(
        move || (campaign(), rate.version().get()),
        |(campaign, _)| progress(campaign),
    );
    let busy = rate.pending();
    let on_rate = Callback::new(move |(generation_id, label): (i32, Label)| {
        rate.dispatch(Rate {
            generation_id,
            label,
            client_id: None,
            decision_ms: None,
        });
    });

    view! {
        <main class="screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        next.await.ok().and_then(|reply| reply.campaign).map(|c| view! {
                            <span class="topbar-campaign">{c.title}</span>
                        })
                    })}
                </Transition>
            </header>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    progress.await.ok().flatten().map(|p| view! { <ProgressLine progress=p /> })
                })}
            </Transition>
            <Transition fallback=|| view! { <div class="card card-loading" aria-busy="true"></div> }>
                {move || Suspend::new(async move {
                    match next.await {
                        Ok(NextCardReply { campaign: None, .. }) => view! { <NoCampaign /> }.into_any(),
                        Ok(NextCardReply { campaign: Some(c), card: None }) => {
                            view! { <AllRated title=c.title /> }.into_any()
                        }
                        Ok(NextCardReply { card: Some(card), .. }) => {
                            view! { <RatingCard card on_rate busy /> }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <p class="last-result" role="status" aria-live="polite">
                {move || rate.value().get().map(|result| match result {
                    Ok(reply) => describe(&reply),
                    Err(error) => format!("Not saved: {error}"),
                })}
            </p>
        </main>
    }
}

/// The line shown after a rating: what was stored and, if the campaign reveals it, who
/// wrote the response.
fn describe(reply: &RateReply) -> String {
    let verdict = match reply.label {
        Label::Up => "👍",
        Label::Down => "👎",
    };
    let saved = match reply.status {
        RateStatus::Recorded => "Rated",
        RateStatus::AlreadyRated => "Already rated",
        RateStatus::Undone => "Undone earlier",
        RateStatus::NotNeeded => {
            return "This response already had enough ratings: nothing saved".into();
        }
    };
    match &reply.model {
        Some(model) => format!("{saved} {verdict} · written by {model}"),
        None => format!("{saved} {verdict}"),
    }
}

//! `/`: the rating screen. The server renders the first card, so it shows before the Wasm
//! bundle loads. After hydration the page keeps a deck (`crate::deck`): the next cards are
//! prefetched, decisions are sent in the background one at a time with retries, and undo
//! takes the last decision back. Swipes, the buttons and the keyboard (← → ↓, Backspace)
//! all make the same decisions.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{ApiError, Label, NextCardReply, ProgressReply, next_card, progress};
use crate::browser;
use crate::components::account_link::AccountLink;
use crate::components::card::{SwipeCard, VoteBar};
use crate::components::guidelines::{GuidelinesButton, GuidelinesSheet, campaign_key, was_seen};
use crate::components::notices::{AllRated, ErrorNotice, NoCampaign};
use crate::components::progress::ProgressLine;
use crate::deck::{Deck, Verdict};

/// How long the toast (and with it the Undo button) stays.
#[cfg(feature = "hydrate")]
const TOAST_MS: u32 = 5_000;

/// The line under the card after a decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Toast {
    pub response_id: Option<i32>,
    pub text: String,
    /// Who wrote the response, once the server says (campaigns that reveal models).
    pub model: Option<String>,
    pub undoable: bool,
    pub serial: u32,
}

/// Shows `text` in place of any toast; returns the new toast's serial number, by which a
/// delayed hide knows whether its toast is still the one showing.
fn replace_toast(
    toast: RwSignal<Option<Toast>>,
    response_id: Option<i32>,
    text: String,
    undoable: bool,
) -> u32 {
    let serial = toast.with_untracked(|t| t.as_ref().map_or(0, |t| t.serial)) + 1;
    toast.set(Some(Toast {
        response_id,
        text,
        model: None,
        undoable,
        serial,
    }));
    serial
}

/// The rating page inside the full app's router, following `?campaign=` as it changes.
#[component]
pub fn RoutedRatePage() -> impl IntoView {
    let query = use_query_map();
    let campaign = Memo::new(move |_| query.read().get("campaign"));
    view! { <RatePage campaign=campaign.into() /> }
}

/// The rating page: `campaign` is the `?campaign=` of the address (the rater bundle has no
/// router: see `crate::RaterApp`).
#[component]
pub fn RatePage(campaign: Signal<Option<String>>) -> impl IntoView {
    let first = Resource::new(move || campaign.get(), next_card);
    // Both resources live here, at the top of the page, so the server serialises their
    // values for hydration; a resource created inside the suspended part would not be,
    // and the page would hydrate against different markup.
    let acknowledged = RwSignal::new(0u32);
    let progress = Resource::new(
        move || (campaign.get(), acknowledged.get()),
        |(campaign, _)| progress(campaign),
    );

    view! {
        <main class="screen">
            <Transition fallback=|| view! { <div class="card card-loading" aria-busy="true"></div> }>
                {move || Suspend::new(async move {
                    match first.await {
                        Ok(reply) => Either::Left(view! { <Rater reply acknowledged progress /> }),
                        Err(error) => {
                            browser::mark_hydrated();
                            Either::Right(view! { <ErrorNotice error /> })
                        }
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Rater(
    reply: NextCardReply,
    /// Counts acknowledged decisions; the progress line refetches when it moves.
    acknowledged: RwSignal<u32>,
    progress: Resource<Result<Option<ProgressReply>, ApiError>>,
) -> impl IntoView {
    browser::mark_hydrated();
    let Some(info) = reply.campaign else {
        return Either::Left(view! {
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
            </header>
            <NoCampaign />
        });
    };
    let deck = RwSignal::new(Deck::new(reply.card));
    if deck.with_untracked(|d| d.current().is_none()) {
        deck.update_untracked(|d| d.exhausted = true);
    }
    let toast = RwSignal::new(None::<Toast>);
    let offline = RwSignal::new(false);
    let guidelines_open = RwSignal::new(false);
    // First visit to this campaign: show the guidelines once hydrated (never on the server,
    // so the rendered page and the hydrated one agree).
    let seen_key = campaign_key(&info.slug);
    Effect::new(move |_| {
        if !was_seen(&seen_key) {
            guidelines_open.set(true);
        }
    });
    let show_toast = move |response_id: Option<i32>, text: String, undoable: bool| {
        #[cfg_attr(not(feature = "hydrate"), allow(unused_variables))]
        let serial = replace_toast(toast, response_id, text, undoable);
        #[cfg(feature = "hydrate")]
        leptos::task::spawn_local(async move {
            browser::sleep(TOAST_MS).await;
            toast.try_update(|t| {
                if t.as_ref().is_some_and(|t| t.serial == serial) {
                    *t = None;
                }
            });
        });
    };

    let decide = Callback::new(move |verdict: Verdict| {
        let client_id = browser::new_client_id();
        let now = browser::now_ms();
        let decided = deck.try_update(|d| {
            d.decide(verdict, client_id, now)
                .map(|d| d.card.response_id)
        });
        if let Some(Some(response_id)) = decided {
            let text = match verdict {
                Verdict::Rate(Label::Up) => "👍 Saved",
                Verdict::Rate(Label::Down) => "👎 Saved",
                Verdict::Skip => "Skipped",
            };
            show_toast(Some(response_id), text.to_string(), true);
        }
    });
    let undo = Callback::new(move |()| {
        if let Some(Some(card)) = deck.try_update(|d| d.undo()) {
            show_toast(
                Some(card.response_id),
                "Undone: the card is back".to_string(),
                false,
            );
        }
    });

    #[cfg(not(feature = "hydrate"))]
    let _ = acknowledged;
    #[cfg(feature = "hydrate")]
    client::start(client::Client {
        deck,
        toast,
        offline,
        acknowledged,
        rater: reply
            .rater
            .clone()
            .unwrap_or_else(|| "anonymous".to_string()),
        campaign: info.slug.clone(),
        decide,
        undo,
        paused: guidelines_open,
    });

    // Memos: the deck changes often (every request sent); the card on screen must be
    // rebuilt only when it is another card, or a drag in progress would be lost.
    let current = Memo::new(move |_| deck.with(|d| d.current().cloned()));
    let exhausted = Memo::new(move |_| deck.with(|d| d.exhausted));
    // Starts the card's clock for its `decision_ms` whenever another card comes on top (the
    // server-rendered one as soon as the page is hydrated: effects only run in the
    // browser), and again when the guidelines sheet that covered it closes.
    Effect::new(move |_| {
        current.track();
        let covered = guidelines_open.get();
        let now = browser::now_ms();
        deck.update_untracked(|d| if covered { d.hidden() } else { d.shown(now) });
    });
    let pending = Memo::new(move |_| deck.with(|d| d.pending()));
    let title = info.title.clone();
    let slug = info.slug.clone();
    let board_href = format!("/leaderboard?campaign={}", info.slug);

    // `Either` rather than `into_any`: every `AnyView` keeps code for each way a view can
    // be built (async hydration included), which the rater bundle would carry.
    Either::Right(view! {
        <header class="topbar">
            <a class="brand" href="/">"swipeset"</a>
            <span class="topbar-campaign">{info.title.clone()}</span>
            <a class="topbar-link" href=board_href>"Leaderboard"</a>
            <GuidelinesButton open=guidelines_open />
            <AccountLink />
        </header>
        <GuidelinesSheet campaign=info.clone() open=guidelines_open />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                progress.await.ok().flatten().map(|p| view! { <ProgressLine progress=p /> })
            })}
        </Transition>
        {move || match current.get() {
            Some(card) => EitherOf3::A(view! { <SwipeCard card on_decide=decide /> }),
            None if exhausted.get() => EitherOf3::B(view! { <AllRated title=title.clone() slug=slug.clone() /> }),
            None => EitherOf3::C(view! { <div class="card card-loading" aria-busy="true" aria-label="Loading the next card"></div> }),
        }}
        <VoteBar on_decide=decide disabled=Signal::derive(move || current.with(Option::is_none)) />
        <div class="status-area">
            {move || toast.get().map(|t| {
                let text = match &t.model {
                    Some(model) => format!("{} · written by {model}", t.text),
                    None => t.text.clone(),
                };
                view! {
                    <div class="toast" role="status" aria-live="polite">
                        <span class="toast-text">{text}</span>
                        {t.undoable.then(|| view! {
                            <button class="toast-undo" type="button" aria-keyshortcuts="Backspace" on:click=move |_| undo.run(())>
                                "Undo"
                            </button>
                        })}
                    </div>
                }
            })}
            {move || {
                let waiting = pending.get();
                (waiting > 0 && (offline.get() || waiting > 1)).then(|| view! {
                    <p class="pending" role="status" data-pending=waiting>
                        {if offline.get() {
                            format!("Can't reach swipeset: {waiting} waiting, kept and retried")
                        } else {
                            format!("Sending {waiting}…")
                        }}
                    </p>
                })
            }}
        </div>
    })
}

/// The parts that only exist in the browser: the background loop and the keyboard.
#[cfg(feature = "hydrate")]
mod client {
    use leptos::prelude::*;

    use super::{Toast, replace_toast};
    use crate::api::{
        ApiError, Card, ErrorCode, Label, MAX_DEAL, RateStatus, ResponseRef, next_cards, rate,
        skip, undo,
    };
    use crate::browser;
    use crate::deck::{self, Deck, Outgoing, REFILL, SavedCards, Verdict};

    /// After the server had nothing to deal, ask again this often (others' holds expire).
    const RECHECK_MS: f64 = 30_000.0;
    /// Between two top-ups of the deck for offline use (`Deck::top_up`).
    const TOP_UP_MS: f64 = 5_000.0;
    /// Decisions delivered before the deck is topped up: someone passing by (or a crawler)
    /// holds no more than the few cards rating needs, and in a small campaign a handful of
    /// passers-by cannot hold every card.
    const TOP_UP_AFTER: u32 = 5;
    /// Poll interval of the loop when there is nothing to do.
    const IDLE_MS: u32 = 80;

    pub struct Client {
        pub deck: RwSignal<Deck>,
        pub toast: RwSignal<Option<Toast>>,
        pub offline: RwSignal<bool>,
        pub acknowledged: RwSignal<u32>,
        /// Whose decisions these are (`NextCardReply::rater`): the saved state's key.
        pub rater: String,
        pub campaign: String,
        pub decide: Callback<Verdict>,
        pub undo: Callback<()>,
        /// While true (the guidelines are open), keys do not rate.
        pub paused: RwSignal<bool>,
    }

    pub fn start(client: Client) {
        keyboard(client.decide, client.undo, client.paused);
        let outbox_key = deck::outbox_key(&client.rater, &client.campaign);
        let cards_key = deck::cards_key(&client.rater, &client.campaign);
        // Read before the saving effect first runs (with the fresh, empty outbox).
        let saved = saved_outbox(&outbox_key, &client.campaign);
        let saved_cards: SavedCards = load_json(&cards_key);
        save_deck(client.deck, outbox_key, cards_key);
        leptos::task::spawn_local(run(client, saved, saved_cards));
    }

    /// Keeps the saved outbox and cards equal to the deck's, so decisions survive a reload
    /// or a closed tab while the server is out of reach, and a page opened offline has cards.
    fn save_deck(deck: RwSignal<Deck>, outbox_key: String, cards_key: String) {
        Effect::new(move |_| {
            let (unsent, cards) = deck.with(|d| (d.unsent(), d.saved_cards()));
            save_json(&outbox_key, !unsent.is_empty(), &unsent);
            save_json(
                &cards_key,
                !cards.cards.is_empty() || !cards.done.is_empty(),
                &cards,
            );
        });
    }

    /// What was saved under `key` as JSON; the default when nothing (or nothing readable) was.
    fn load_json<T: serde::de::DeserializeOwned + Default>(key: &str) -> T {
        browser::load(key)
            .and_then(|json| serde_json::from_str(&json).ok())
            .unwrap_or_default()
    }

    /// Saves `value` as JSON under `key` while `keep`, and removes the key otherwise.
    fn save_json(key: &str, keep: bool, value: &impl serde::Serialize) {
        let json = keep.then(|| serde_json::to_string(value).ok()).flatten();
        browser::save(key, json.as_deref());
    }

    /// The decisions a previous visit by this rater could not deliver, if any were saved;
    /// with those of an outbox saved before outboxes were kept per rater, taken over once.
    fn saved_outbox(key: &str, campaign: &str) -> Vec<Outgoing> {
        let unkeyed = deck::unkeyed_outbox_key(campaign);
        let mut saved: Vec<Outgoing> = load_json(&unkeyed);
        if !saved.is_empty() {
            browser::save(&unkeyed, None);
        }
        saved.extend(load_json::<Vec<Outgoing>>(key));
        saved
    }

    fn keyboard(decide: Callback<Verdict>, undo: Callback<()>, paused: RwSignal<bool>) {
        let handle = window_event_listener(leptos::ev::keydown, move |event| {
            if paused.get_untracked()
                || event.ctrl_key()
                || event.meta_key()
                || event.alt_key()
                || event.repeat()
            {
                return;
            }
            let key = event.key();
            if matches!(key.as_str(), "ArrowDown" | "ArrowUp") && in_scrolling_response(&event) {
                // ↑ ↓ scroll a focused long response; they do not skip it.
                return;
            }
            match key.as_str() {
                "ArrowRight" => decide.run(Verdict::Rate(Label::Up)),
                "ArrowLeft" => decide.run(Verdict::Rate(Label::Down)),
                "ArrowDown" => decide.run(Verdict::Skip),
                "Backspace" => undo.run(()),
                _ => return,
            }
            event.prevent_default();
        });
        on_cleanup(move || handle.remove());
    }

    /// Whether the key went to the card's response area (focused to scroll it).
    fn in_scrolling_response(event: &web_sys::KeyboardEvent) -> bool {
        use wasm_bindgen::JsCast;
        event
            .target()
            .and_then(|target| target.dyn_into::<web_sys::Element>().ok())
            .and_then(|element| element.closest(".card-response").ok().flatten())
            .is_some()
    }

    fn retryable(error: &ApiError) -> bool {
        matches!(
            error.code,
            ErrorCode::Network | ErrorCode::Unavailable | ErrorCode::Internal
        )
    }

    /// Sends decisions in order and keeps the deck filled, until the page goes away.
    async fn run(client: Client, saved: Vec<Outgoing>, saved_cards: SavedCards) {
        let Client {
            deck,
            toast,
            offline,
            acknowledged,
            campaign,
            ..
        } = client;
        // Restored here, once hydration is over: changing the deck while hydrating would
        // make the page disagree with the markup the server sent.
        let SavedCards {
            cards: saved_cards,
            done,
        } = saved_cards;
        if !saved.is_empty() || !done.is_empty() {
            deck.update(|d| {
                d.restore(saved);
                d.restore_done(done);
            });
        }
        // The saved cards wait until the server cannot be reached for more.
        let mut saved_cards = Some(saved_cards).filter(|cards| !cards.is_empty());
        let mut failures = 0u32;
        let mut last_empty_deal = None::<f64>;
        // Topping up waits for a few delivered decisions: on a slow network the first
        // swipes' requests go alone, and a passer-by holds few cards.
        let mut last_top_up = None::<f64>;
        let mut delivered = 0u32;
        loop {
            // 1. The oldest unsent decision.
            // Marking a request in flight changes nothing on screen: no notification.
            let Some(next) = deck.try_update_untracked(|d| d.next_to_send()) else {
                return;
            };
            if let Some((id, outgoing)) = next {
                match send(&outgoing, deck).await {
                    Ok(model) => {
                        failures = 0;
                        delivered += 1;
                        offline.set(false);
                        deck.update(|d| d.acknowledged(id));
                        acknowledged.update(|n| *n += 1);
                        if let Some(model) = model {
                            reveal(toast, &outgoing, model);
                        }
                    }
                    Err(error) if retryable(&error) || error.code == ErrorCode::TooManyRequests => {
                        failures += 1;
                        if error.code == ErrorCode::TooManyRequests {
                            // The server is there and asks to wait (a network's share of
                            // new guests, say): the message says how long.
                            replace_toast(toast, None, format!("Not sent yet: {error}"), false);
                        } else {
                            offline.set(true);
                            deal_saved(deck, &mut saved_cards);
                        }
                        deck.update(|d| d.retry_later(id));
                        browser::sleep(browser::backoff_ms(failures - 1, js_sys::Math::random()))
                            .await;
                    }
                    Err(error) => {
                        // The server refused it for good (the response was deleted, say):
                        // say so rather than retry forever.
                        deck.update(|d| d.acknowledged(id));
                        replace_toast(toast, None, format!("Not saved: {error}"), false);
                    }
                }
                continue;
            }
            // 2. More cards, when running low.
            let now = browser::now_ms();
            let (wants, exhausted, holding) =
                deck.with_untracked(|d| (d.wants_more(), d.exhausted, d.holding()));
            let recheck = exhausted && last_empty_deal.is_none_or(|t| now - t > RECHECK_MS);
            if (wants || recheck) && !offline.get_untracked() {
                match next_cards(Some(campaign.clone()), REFILL, holding).await {
                    Ok(reply) => {
                        if reply.cards.is_empty() {
                            last_empty_deal = Some(now);
                        }
                        deck.update(|d| d.add_cards(reply.cards));
                    }
                    Err(error) if retryable(&error) => {
                        offline.set(true);
                        deal_saved(deck, &mut saved_cards);
                        browser::sleep(2_000).await;
                        offline.set(false);
                    }
                    Err(_) => last_empty_deal = Some(now),
                }
                continue;
            }
            // 3. When idle, more cards for offline use, a few seconds apart.
            let top_up = deck.with_untracked(|d| d.top_up(MAX_DEAL));
            if delivered >= TOP_UP_AFTER
                && top_up > 0
                && !offline.get_untracked()
                && last_top_up.is_none_or(|t| now - t > TOP_UP_MS)
            {
                last_top_up = Some(now);
                if let Ok(reply) = next_cards(Some(campaign.clone()), top_up, holding).await {
                    deck.update(|d| d.add_cards(reply.cards));
                }
                continue;
            }
            if offline.get_untracked() && deck.with_untracked(|d| d.pending()) == 0 {
                offline.set(false);
            }
            browser::sleep(IDLE_MS).await;
        }
    }

    /// The server is out of reach: the cards an earlier visit saved join the deck (once).
    fn deal_saved(deck: RwSignal<Deck>, saved: &mut Option<Vec<Card>>) {
        if let Some(cards) = saved.take() {
            deck.update(|d| d.add_saved_cards(cards));
        }
    }

    /// Sends one decision; the model's name if the server revealed it. A rating sent while
    /// the deck runs low asks for more cards in the same request.
    async fn send(outgoing: &Outgoing, deck: RwSignal<Deck>) -> Result<Option<String>, ApiError> {
        match outgoing.clone() {
            Outgoing::Rate {
                client_id,
                response_id,
                label,
                decision_ms,
            } => {
                let (wants, holding) = deck.with_untracked(|d| (d.wants_more(), d.holding()));
                let deal = if wants { REFILL } else { 0 };
                let reply = rate(
                    ResponseRef { response_id },
                    label,
                    Some(client_id),
                    decision_ms,
                    deal,
                    holding,
                )
                .await?;
                if !reply.cards.is_empty() {
                    deck.update(|d| d.add_cards(reply.cards));
                }
                Ok(match reply.status {
                    RateStatus::Recorded | RateStatus::AlreadyRated => reply.model,
                    RateStatus::Undone | RateStatus::NotNeeded => None,
                })
            }
            Outgoing::Skip { response_id } => skip(ResponseRef { response_id }).await.map(|_| None),
            Outgoing::Undo { response_id } => undo(ResponseRef { response_id }).await.map(|_| None),
        }
    }

    fn reveal(toast: RwSignal<Option<Toast>>, outgoing: &Outgoing, model: String) {
        let Outgoing::Rate { response_id, .. } = outgoing else {
            return;
        };
        toast.update(|t| {
            if let Some(t) = t
                && t.response_id == Some(*response_id)
                && t.undoable
            {
                t.model = Some(model);
            }
        });
    }
}

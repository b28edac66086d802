//! `/flag?response=ID`: a rater reports the card they were shown instead of rating it
//! (broken, harmful, revealing its model, or something else they describe). The rating
//! page links here from the card's corner: a plain link, so the rater bundle carries no
//! menu (see `docs/BENCHMARKS.md`, first-visit bytes). Reporting skips the card for them
//! and goes back to rating; their unsent ratings wait in the browser meanwhile.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{ApiError, FlagKind, FlagReply, NextCardReply, card_preview, flag_card};
use crate::browser;
use crate::components::notices::{ErrorNotice, InstanceNotices};

/// The rating page of `slug`.
fn rating_page(slug: &str) -> String {
    format!("/?campaign={}", browser::encode_component(slug))
}

#[component]
pub fn FlagPage() -> impl IntoView {
    let query = use_query_map();
    let response = Memo::new(move |_| {
        query
            .read()
            .get("response")
            .and_then(|id| id.trim().parse::<i32>().ok())
    });
    let preview = Resource::new(
        move || response.get(),
        |id| async move {
            match id {
                Some(id) => card_preview(id).await,
                None => Err(ApiError::bad_request(
                    "this address names no card: it needs ?response= and the response's id",
                )),
            }
        },
    );
    view! {
        <main class="screen account-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Report a card"</span>
            </header>
            <InstanceNotices />
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match preview.await {
                        Ok(reply) => view! { <FlagForm reply /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn FlagForm(reply: NextCardReply) -> impl IntoView {
    let (Some(campaign), Some(card)) = (reply.campaign, reply.card) else {
        return view! { <p class="field-hint">"There is no card to report."</p> }.into_any();
    };
    let back = rating_page(&campaign.slug);
    let kind = RwSignal::new(None::<FlagKind>);
    let note = RwSignal::new(String::new());
    let response_id = card.response_id;
    let send = Action::new(move |(kind, note): &(FlagKind, String)| {
        let (kind, note) = (*kind, note.clone());
        async move { flag_card(response_id, kind, Some(note)).await }
    });
    let done = back.clone();
    Effect::new(move |_| {
        if let Some(Ok(FlagReply { .. })) = send.value().get() {
            browser::go_to(&done);
        }
    });
    let error = move || match (send.value().get(), kind.get()) {
        (Some(Err(error)), _) => Some(error.message),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if let Some(kind) = kind.get_untracked() {
            send.dispatch((kind, note.get_untracked()));
        }
    };
    view! {
        <h1 class="account-title">"What is wrong with this card?"</h1>
        <p class="field-hint">{format!(
            "Your report goes to the admins of {}, and the card leaves your deck. Nothing is rated.",
            campaign.title
        )}</p>
        <article class="flag-preview" aria-label="The card you are reporting">
            <section>
                <h2 class="card-label">"Prompt"</h2>
                {card.system_prompt.map(|system| view! { <p class="card-system">{system}</p> })}
                {card.history_html.map(|html| view! { <div inner_html=html></div> })}
                <p class="card-prompt-text">{card.prompt}</p>
            </section>
            <section>
                <h2 class="card-label">"Response"</h2>
                <div class="card-response-text">{card.response}</div>
            </section>
        </article>
        <form class="account-form flag-form" on:submit=submit>
            <fieldset class="flag-kinds">
                <legend>"Reason"</legend>
                {FlagKind::ALL.into_iter().map(|k| view! {
                    <label class="flag-kind">
                        <input type="radio" name="kind" value=k.name() required
                            prop:checked=move || kind.get() == Some(k)
                            on:change=move |_| kind.set(Some(k)) />
                        <span>{k.describe()}</span>
                    </label>
                }).collect_view()}
            </fieldset>
            <label class="field">
                <span>{move || if kind.get() == Some(FlagKind::Other) {
                    "What is wrong (needed for “Something else”)"
                } else {
                    "Anything to add (optional)"
                }}</span>
                <textarea name="note" rows="3" maxlength="500"
                    required=move || kind.get() == Some(FlagKind::Other)
                    prop:value=move || note.get()
                    on:input=move |ev| note.set(event_target_value(&ev))></textarea>
            </label>
            <p class="form-error" role="alert">{error}</p>
            <div class="flag-actions">
                <button class="button button-primary" type="submit"
                    disabled=move || send.pending().get() || kind.get().is_none()>
                    {move || if send.pending().get() { "Sending…" } else { "Report and skip" }}
                </button>
                <a class="button" href=back>"Back to rating"</a>
            </div>
        </form>
    }
    .into_any()
}

//! `/admin/flags?campaign=SLUG`: what raters flagged, and the admin's answers: hide a
//! response (it leaves the deck, the leaderboard and the exports; reversible), dismiss its
//! flags, delete a single rating, or go to the raters page to exclude a rater. Hidden
//! responses are listed below, each with "Show again". Every action needs a reason, for
//! the audit log.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use leptos_router::location::Url;

use crate::api::{
    ApiError, DeleteRatingReply, FlagQueueReply, FlaggedResponse, ResponseAction,
    ResponseChangeReply, delete_rating, flag_queue, moderate_response,
};
use crate::browser;
use crate::components::notices::{ErrorNotice, InstanceNotices};

/// What one press of a button sends.
#[derive(Clone)]
enum Decision {
    Response {
        response_id: i32,
        action: ResponseAction,
        reason: String,
    },
    DeleteRating {
        rating_id: i32,
        reason: String,
    },
}

/// What came of it, in words.
type Outcome = Result<String, ApiError>;

#[component]
pub fn FlagsPage() -> impl IntoView {
    let query = use_query_map();
    let campaign = Memo::new(move |_| query.read().get("campaign").unwrap_or_default());
    let decide = Action::new(move |d: &Decision| {
        let (d, campaign) = (d.clone(), campaign.get_untracked());
        async move { run(campaign, d).await }
    });
    let queue = Resource::new(
        move || (campaign.get(), decide.version().get()),
        |(campaign, _)| flag_queue(campaign),
    );
    let outcome = move || {
        decide.value().get().map(|result: Outcome| match result {
            Ok(text) => view! { <p class="field-hint" role="status">{text}</p> }.into_any(),
            Err(error) => {
                view! { <p class="form-error" role="alert">{error.message}</p> }.into_any()
            }
        })
    };
    view! {
        <main class="screen account-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Flags"</span>
                <a class="topbar-link" href="/admin/audit">"Audit log"</a>
            </header>
            <InstanceNotices />
            {outcome}
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match queue.await {
                        Ok(reply) => view! { <Queue reply decide /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

async fn run(campaign: String, decision: Decision) -> Outcome {
    match decision {
        Decision::Response {
            response_id,
            action,
            reason,
        } => {
            let reply: ResponseChangeReply =
                moderate_response(campaign, response_id, action, reason).await?;
            Ok(match action {
                ResponseAction::Hide => format!(
                    "Response {response_id} hidden: {} set aside (stored, not counted), {} resolved.",
                    counted(reply.ratings, "rating"),
                    counted(reply.flags, "flag")
                ),
                ResponseAction::Show => format!(
                    "Response {response_id} is dealt again: {} counted.",
                    counted(reply.ratings, "rating")
                ),
                ResponseAction::Dismiss => format!(
                    "{} of response {response_id} dismissed; it stays in the deck.",
                    counted(reply.flags, "flag")
                ),
            })
        }
        Decision::DeleteRating { rating_id, reason } => {
            let reply: DeleteRatingReply = delete_rating(campaign, rating_id, reason).await?;
            Ok(format!(
                "Rating {rating_id} of response {} deleted.",
                reply.response_id
            ))
        }
    }
}

/// `n` and `noun`, plural unless one.
fn counted(n: u64, noun: &str) -> String {
    format!("{n} {noun}{}", if n == 1 { "" } else { "s" })
}

#[component]
fn Queue(reply: FlagQueueReply, decide: Action<Decision, Outcome>) -> impl IntoView {
    let raters = format!("/admin/raters?campaign={}", Url::escape(&reply.campaign));
    let (flagged, hidden) = (reply.flagged, reply.hidden);
    let summary = format!(
        "{} response{} with open flags · {} hidden. Hiding takes a response out of the deck, the leaderboard and the exports; its ratings stay stored and come back if you show it again.",
        flagged.len(),
        if flagged.len() == 1 { "" } else { "s" },
        hidden.len()
    );
    view! {
        <h1 class="account-title">{format!("Flags in {}", reply.title)}</h1>
        <p class="field-hint">{summary}</p>
        <p class="field-hint">"To exclude a rater, use the " <a href=raters>"raters page"</a> "."</p>
        {flagged.is_empty().then(|| view! {
            <p class="field-hint">"Nothing flagged. Raters flag a card from the ⚑ in its corner."</p>
        })}
        <ul class="user-list">
            {flagged.into_iter().map(|item| view! { <FlaggedItem item decide /> }).collect_view()}
        </ul>
        {(!hidden.is_empty()).then(|| view! {
            <h2 class="section-title">"Hidden responses"</h2>
            <ul class="user-list">
                {hidden.into_iter().map(|item| view! { <FlaggedItem item decide /> }).collect_view()}
            </ul>
        })}
    }
}

/// The first `max` characters of `text`, on one line.
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &flat[..at]),
        None => flat,
    }
}

#[component]
fn FlaggedItem(item: FlaggedResponse, decide: Action<Decision, Outcome>) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let response_id = item.response_id;
    let hidden = item.hidden_at.is_some();
    let open = item.flags.iter().filter(|f| !f.resolved).count();
    let act = move |action: ResponseAction| {
        decide.dispatch(Decision::Response {
            response_id,
            action,
            reason: reason.get_untracked(),
        });
    };
    let delete = move |rating_id: i32| {
        decide.dispatch(Decision::DeleteRating {
            rating_id,
            reason: reason.get_untracked(),
        });
    };
    let counted = item.ratings.iter().filter(|r| r.counted).count();
    let meta = format!(
        "{} · {} rating{} ({counted} counted) · prompt: {}",
        item.model,
        item.ratings.len(),
        if item.ratings.len() == 1 { "" } else { "s" },
        excerpt(&item.prompt, 80)
    );
    view! {
        <li class="user-line flag-item" class:user-disabled=hidden data-response=response_id>
            <div class="user-head">
                <strong class="user-name">{format!("Response {response_id}")}</strong>
                {hidden.then(|| view! { <span class="badge badge-off">"hidden"</span> })}
                {(open > 0).then(|| view! {
                    <span class="badge badge-warn">{format!("{open} flag{}", if open == 1 { "" } else { "s" })}</span>
                })}
            </div>
            <p class="user-meta">{meta}</p>
            <details class="flag-response">
                <summary>{excerpt(&item.response, 120)}</summary>
                <div class="card-response-text">{item.response.clone()}</div>
            </details>
            <ul class="rater-flags">
                {item.flags.iter().map(|f| {
                    let text = format!(
                        "{}{} by {}{}",
                        f.kind.describe(),
                        if f.resolved { " (resolved)" } else { "" },
                        f.rater,
                        f.note.as_ref().map_or(String::new(), |n| format!(": “{n}”"))
                    );
                    view! { <li>{text}</li> }
                }).collect_view()}
            </ul>
            <form class="user-actions rater-change" on:submit=move |ev: leptos::ev::SubmitEvent| {
                ev.prevent_default();
                act(if hidden { ResponseAction::Show } else { ResponseAction::Hide });
            }>
                <label class="field field-inline">
                    <span class="visually-hidden">{format!("Why, for response {response_id}")}</span>
                    <input type="text" required maxlength="500" placeholder="Reason (for the audit log)"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                </label>
                <button class="button button-small" type="submit">
                    {if hidden { "Show again" } else { "Hide" }}
                </button>
                {(!hidden && open > 0).then(|| view! {
                    <button class="button button-small" type="button"
                        disabled=move || reason.with(|r| r.trim().is_empty())
                        on:click=move |_| act(ResponseAction::Dismiss)>"Dismiss flags"</button>
                })}
            </form>
            {(!item.ratings.is_empty()).then(|| view! {
                <details class="flag-ratings">
                    <summary>{format!("Ratings ({})", item.ratings.len())}</summary>
                    <ul class="rater-flags">
                        {item.ratings.iter().map(|r| {
                            let rating_id = r.rating_id;
                            let text = format!(
                                "{} by {}{}",
                                if r.label.is_up() { "👍" } else { "👎" },
                                r.rater,
                                if r.counted { "" } else { " (set aside)" }
                            );
                            view! {
                                <li class="flag-rating">
                                    <span>{text}</span>
                                    <button class="button button-small" type="button"
                                        aria-label=format!("Delete rating {rating_id}")
                                        disabled=move || reason.with(|r| r.trim().is_empty())
                                        on:click=move |_| delete(rating_id)>"Delete"</button>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                </details>
            })}
        </li>
    }
}

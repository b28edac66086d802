//! `/leaderboard/model?campaign=SLUG&model=NAME`: one model's page, reached from its line
//! on the leaderboard. Its 👍 rate with two intervals (Wilson's, and one that resamples
//! prompts), by category and by response length as charts, how much raters agree on it,
//! its record against each other model and everyone's Bradley–Terry strength, and for
//! admins its most 👍'd and most 👎'd responses. Live: it follows the campaign's event
//! stream and reads the page again after each change (one read at a time).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{Interval, ModelPageReply, RateSlice, ResponseLine, model_page};
use crate::browser;
use crate::charts::{self, Row};
use crate::components::account_link::AccountLink;
use crate::components::notices::ErrorNotice;
use crate::pages::flags::excerpt;
use crate::pages::leaderboard::percent;

/// A slice with fewer votes than this is drawn open, as the board draws a preliminary model.
const FEW_VOTES: u64 = 30;

#[component]
pub fn ModelPage() -> impl IntoView {
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("campaign").unwrap_or_default(),
            q.get("model").unwrap_or_default(),
        )
    });
    let page = Resource::new(move || key.get(), |(c, m)| model_page(c, m));
    view! {
        <main class="screen board-screen">
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading the model…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match page.await {
                        Ok(reply) => view! { <LiveModel reply /> }.into_any(),
                        Err(error) => view! {
                            <header class="topbar"><a class="brand" href="/">"swipeset"</a></header>
                            <ErrorNotice error />
                        }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn LiveModel(reply: ModelPageReply) -> impl IntoView {
    let page = RwSignal::new(reply);
    let connected = RwSignal::new(false);
    #[cfg(feature = "hydrate")]
    {
        let (slug, model) = page.with_untracked(|p| (p.campaign.clone(), p.standing.model.clone()));
        let board = RwSignal::new(None);
        crate::pages::leaderboard::live::follow_with(
            slug.clone(),
            move |snapshot| board.try_set(Some(snapshot)).is_none(),
            connected,
        );
        // A read at a time: a change while one is out is picked up by the next.
        let reading = StoredValue::new(false);
        Effect::new(move |_| {
            if board.get().is_none() || reading.get_value() {
                return;
            }
            reading.set_value(true);
            let (slug, model) = (slug.clone(), model.clone());
            leptos::task::spawn_local(async move {
                if let Ok(fresh) = model_page(slug, model).await {
                    let _ = page.try_set(fresh);
                }
                let _ = reading.try_set_value(false);
            });
        });
    }
    view! {
        {move || view! { <ModelView page=page.get() /> }}
        <p class="board-live" role="status" data-live=move || connected.get().to_string()>
            {move || if connected.get() { "● Live: updates as ratings come in" } else { "○ Connecting…" }}
        </p>
    }
}

fn interval_text(rate: Option<Interval>) -> String {
    rate.map_or_else(
        || "–".to_string(),
        |r| format!("{}–{}", percent(r.low), percent(r.high)),
    )
}

fn chart(title: &str, slices: &[RateSlice]) -> String {
    let rows: Vec<Row> = slices
        .iter()
        .map(|s| Row {
            label: &s.label,
            rate: s.rate,
            faint: s.up + s.down < FEW_VOTES,
        })
        .collect();
    charts::rate_chart(title, &rows, false)
}

/// A breakdown: its chart, then its table.
#[component]
fn Breakdown(
    title: String,
    caption: String,
    slices: Vec<RateSlice>,
    svg_href: String,
) -> impl IntoView {
    let svg = chart(&title, &slices);
    view! {
        <section class="model-section">
            <h2 class="model-heading">{title}</h2>
            <figure class="board-chart" inner_html=svg></figure>
            <table class="board-table model-slices">
                <caption>{caption}" "<a class="notice-link" href=svg_href download>"Chart as SVG"</a></caption>
                <thead><tr><th scope="col">"Slice"</th><th scope="col">"Responses"</th><th scope="col">"👍 rate"</th></tr></thead>
                <tbody>
                    {slices.into_iter().map(|s| view! {
                        <tr>
                            <th scope="row" class="board-model">{s.label}</th>
                            <td>{s.responses}</td>
                            <td>{s.rate.map_or_else(|| "–".to_string(), |r| percent(r.estimate))}
                                <span class="board-interval">{interval_text(s.rate)}</span></td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
    }
}

#[component]
fn Responses(title: &'static str, lines: Vec<ResponseLine>) -> impl IntoView {
    (!lines.is_empty()).then(|| view! {
        <section class="model-section">
            <h2 class="model-heading">{title}</h2>
            <ol class="model-responses">
                {lines.into_iter().map(|r| view! {
                    <li>
                        <p class="model-response-prompt">{excerpt(&r.prompt, 160)}</p>
                        <p class="model-response-text">{excerpt(&r.response, 400)}</p>
                        <p class="model-response-votes">{format!("👍 {} · 👎 {} · response {}", r.up, r.down, r.response_id)}</p>
                    </li>
                }).collect_view()}
            </ol>
        </section>
    })
}

#[component]
fn ModelView(page: ModelPageReply) -> impl IntoView {
    let s = page.standing.clone();
    let campaign = browser::encode_component(&page.campaign);
    let name = browser::encode_component(&s.model);
    let board_href = format!("/leaderboard?campaign={campaign}");
    let api = format!("/api/campaigns/{campaign}/models/{name}");
    let rate = s
        .rate
        .map_or_else(|| "no votes yet".to_string(), |r| percent(r.estimate));
    let summary = format!(
        "rank {} of {} · {} votes on {} responses to {} prompts",
        s.rank, page.models, s.votes, s.responses, page.prompts
    );
    let intervals = format!(
        "95% interval {} treating votes as independent (Wilson), {} resampling prompts (a prompt's votes go together: this one is the honest one)",
        interval_text(s.rate),
        interval_text(page.clustered)
    );
    let category = page.category_field.clone().map(|field| {
        view! {
            <Breakdown
                title=format!("👍 rate by {field}")
                caption=format!("By the prompts' `{field}`; open dots have under {FEW_VOTES} votes.")
                slices=page.by_category.clone()
                svg_href=format!("{api}?chart=category") />
        }
    });
    let agreement = page.agreement.map(|a| {
        view! {
            <p class="board-agreement">
                "Raters agree on " <strong>{percent(a.share)}</strong>
                {format!(" of the pairs of votes on the same response ({} pairs over {} responses).", a.pairs, a.responses)}
            </p>
        }
    });
    let me = s.model.clone();
    view! {
        <header class="topbar">
            <a class="brand" href="/">"swipeset"</a>
            <span class="topbar-campaign">{page.title.clone()}</span>
            <a class="topbar-link" href=board_href>"Leaderboard"</a>
            <AccountLink />
        </header>
        <h1 class="board-title model-title">{s.model.clone()}</h1>
        <section class="board-progress model-summary" aria-label="Standing">
            <p><strong class="model-rate">{rate}</strong>" 👍 · "{summary}</p>
            <p class="export-note">{intervals}</p>
        </section>
        {category}
        <Breakdown
            title="👍 rate by response length".to_string()
            caption="Characters per response: a rate that climbs with length is a length bias.".to_string()
            slices=page.by_length.clone()
            svg_href=format!("{api}?chart=length") />
        {agreement}
        <section class="model-section">
            <h2 class="model-heading">"Head to head"</h2>
            <table class="board-table model-versus">
                <caption>"On prompts both answered with a label each: won (this 👍, the other 👎), lost, tied (both alike)."</caption>
                <thead><tr><th scope="col">"Against"</th><th scope="col">"Prompts"</th><th scope="col">"Won"</th><th scope="col">"Lost"</th><th scope="col">"Tied"</th></tr></thead>
                <tbody>
                    {page.head_to_head.iter().map(|h| view! {
                        <tr>
                            <th scope="row" class="board-model">{h.model.clone()}</th>
                            <td>{h.prompts}</td><td>{h.wins}</td><td>{h.losses}</td><td>{h.ties}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <table class="board-table model-strengths">
                <caption>"Bradley–Terry strength from every pair's wins and losses (1 is the average model; a strength twice another's wins two in three), beside the 👍 rate."</caption>
                <thead><tr><th scope="col">"Model"</th><th scope="col">"Strength"</th><th scope="col">"👍 rate"</th></tr></thead>
                <tbody>
                    {page.strengths.iter().map(|st| view! {
                        <tr class:model-me=st.model == me>
                            <th scope="row" class="board-model">{st.model.clone()}</th>
                            <td>{st.strength.map_or_else(|| "–".to_string(), |x| format!("{x:.2}"))}</td>
                            <td>{st.rate.map_or_else(|| "–".to_string(), percent)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </section>
        <Responses title="Most 👍'd responses" lines=page.best.clone() />
        <Responses title="Most 👎'd responses" lines=page.worst.clone() />
        <p class="board-export">
            "Download: " <a class="notice-link" href=format!("{api}?format=json") download>"JSON"</a>
            " · " <a class="notice-link" href=format!("{api}?format=csv") download>"CSV"</a>
        </p>
    }
}

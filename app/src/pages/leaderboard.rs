//! `/leaderboard?campaign=SLUG[&category=C]`: each model's 👍 rate with its 95% interval, as
//! a table and as an SVG chart (`crate::charts`, no chart library), with progress and
//! agreement; a model's name leads to its page (`pages::model`), and the board and its chart
//! download as CSV, JSON and SVG. Live: the page follows `GET /api/campaigns/{slug}/events`
//! and redraws on each snapshot.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{
    BoardProgress, CategoryCount, ContributorLine, LeaderboardReply, ModelStanding, leaderboard,
};
use crate::browser;
use crate::charts;
use crate::components::account_link::AccountLink;
use crate::components::notices::{ErrorNotice, NoCampaign};

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let key = Memo::new(move |_| {
        let q = query.read();
        (
            q.get("campaign"),
            q.get("category").filter(|c| !c.is_empty()),
        )
    });
    let board = Resource::new(
        move || key.get(),
        |(c, category)| leaderboard(c, None, category),
    );
    view! {
        <main class="screen board-screen">
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading the leaderboard…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match board.await {
                        Ok(Some(reply)) => view! { <LiveBoard reply /> }.into_any(),
                        Ok(None) => view! {
                            <header class="topbar"><a class="brand" href="/">"swipeset"</a></header>
                            <NoCampaign />
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// The board as rendered on the server, then kept current by the event stream. Filtered
/// by a category, it reads its filtered lines again after each snapshot (the stream sends
/// the whole campaign's), one read at a time.
#[component]
fn LiveBoard(reply: LeaderboardReply) -> impl IntoView {
    let slug = reply.campaign.clone();
    // The stream's snapshots leave the categories out: the first read's stay.
    let categories = StoredValue::new(reply.categories.clone());
    let category = reply.category.clone();
    let board = RwSignal::new(reply);
    let connected = RwSignal::new(false);
    // "Reconnecting" only makes sense once there was a connection.
    let was_connected =
        Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || connected.get());
    #[cfg(feature = "hydrate")]
    match category {
        None => live::follow(slug.clone(), board, connected),
        Some(category) => {
            let reading = StoredValue::new(false);
            let slug_for_reads = slug.clone();
            live::follow_with(
                slug.clone(),
                move |_| match reading.try_get_value() {
                    // The page is gone.
                    None => false,
                    // A read is out; the next snapshot brings the change after it.
                    Some(true) => true,
                    Some(false) => {
                        reading.set_value(true);
                        let (slug, category) = (slug_for_reads.clone(), category.clone());
                        leptos::task::spawn_local(async move {
                            let fresh = leaderboard(Some(slug), None, Some(category)).await;
                            if let Ok(Some(fresh)) = fresh {
                                let _ = board.try_set(fresh);
                            }
                            let _ = reading.try_set_value(false);
                        });
                        true
                    }
                },
                connected,
            );
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (&slug, &category);
    view! {
        {move || view! { <Board reply=board.get() categories=categories.get_value() /> }}
        <p class="board-live" role="status" data-live=move || connected.get().to_string()>
            {move || match (connected.get(), was_connected.get()) {
                (true, _) => "● Live: updates as ratings come in",
                (false, true) => "○ Reconnecting…",
                (false, false) => "○ Connecting…",
            }}
        </p>
    }
}

/// The category filter: a plain form, so it works before the page hydrates; once it has,
/// a choice is a client-side navigation.
#[component]
fn CategoryFilter(
    campaign: String,
    chosen: Option<String>,
    categories: Vec<CategoryCount>,
) -> impl IntoView {
    (!categories.is_empty()).then(|| {
        let navigate = leptos_router::hooks::use_navigate();
        let slug = campaign.clone();
        let change = move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            let mut href = format!("/leaderboard?campaign={}", browser::encode_component(&slug));
            if !value.is_empty() {
                href.push_str(&format!("&category={}", browser::encode_component(&value)));
            }
            navigate(&href, Default::default());
        };
        view! {
            <form class="board-filter" method="get" action="/leaderboard">
                <input type="hidden" name="campaign" value=campaign />
                <label class="export-field">
                    <span>"Prompts"</span>
                    <select name="category" on:change=change>
                        <option value="" selected=chosen.is_none()>"All categories"</option>
                        {categories.into_iter().map(|c| {
                            let selected = chosen.as_deref() == Some(c.name.as_str());
                            view! { <option value=c.name.clone() selected=selected>{format!("{} ({} prompts)", c.name, c.prompts)}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <noscript><button type="submit" class="export-update">"Show"</button></noscript>
            </form>
        }
    })
}

#[component]
fn Board(reply: LeaderboardReply, categories: Vec<CategoryCount>) -> impl IntoView {
    let rate_href = format!("/?campaign={}", reply.campaign);
    let export_href = format!("/export?campaign={}", reply.campaign);
    let slug = browser::encode_component(&reply.campaign);
    let filter_query = reply
        .category
        .as_deref()
        .map(|c| format!("&category={}", browser::encode_component(c)))
        .unwrap_or_default();
    let download = move |format: &str| {
        format!("/api/campaigns/{slug}/leaderboard?format={format}{filter_query}")
    };
    let (csv_href, json_href, svg_href) = (download("csv"), download("json"), download("svg"));
    let chart = charts::rate_chart(
        "👍 rate per model",
        &charts::model_rows(&reply.models),
        false,
    );
    let campaign = reply.campaign.clone();
    let min_votes = reply.min_votes;
    let agreement = reply.agreement.map(|a| {
        view! {
            <p class="board-agreement">
                "Agreement (Krippendorff's α): " <strong>{format!("{:.2}", a.alpha)}</strong>
                {format!(" (95% interval {:.2} to {:.2}) over {} responses rated twice or more", a.low, a.high, a.units)}
            </p>
        }
    });
    view! {
        <header class="topbar">
            <a class="brand" href="/">"swipeset"</a>
            <span class="topbar-campaign">{reply.title.clone()}</span>
            <a class="topbar-link" href=rate_href>"Rate"</a>
            <AccountLink />
        </header>
        <h1 class="board-title">"Leaderboard"</h1>
        <ProgressPanel progress=reply.progress.clone() />
        <CategoryFilter campaign=reply.campaign.clone() chosen=reply.category.clone() categories />
        <figure class="board-chart" inner_html=chart></figure>
        <table class="board-table board-models">
            <caption>{format!("👍 rate per model; beneath it, its Wilson 95% interval (votes taken as independent; a model's page also gives one that resamples prompts). Models whose intervals overlap share a rank; models with fewer than {min_votes} votes are preliminary. A model's name opens its page.")}</caption>
            <thead>
                <tr>
                    <th scope="col">"#"</th>
                    <th scope="col">"Model"</th>
                    <th scope="col">"👍 rate"</th>
                    <th scope="col">"Votes"</th>
                    <th scope="col">"Rated"</th>
                </tr>
            </thead>
            <tbody>
                {reply.models.into_iter().map(|m| view! { <ModelLine m campaign=campaign.clone() /> }).collect_view()}
            </tbody>
        </table>
        {agreement}
        <Contributors people=reply.contributors />
        <p class="board-export">
            <a class="notice-link" href=export_href>"Export the ratings as a dataset (KTO, DPO, raw)"</a>
        </p>
        <p class="board-export">
            "This board: " <a class="notice-link" href=csv_href download>"CSV"</a>
            " · " <a class="notice-link" href=json_href download>"JSON"</a>
            " · " <a class="notice-link" href=svg_href download>"chart as SVG"</a>
        </p>
    }
}

#[component]
fn Contributors(people: Vec<ContributorLine>) -> impl IntoView {
    (!people.is_empty()).then(|| {
        view! {
            <table class="board-table board-people">
                <caption>"Contributors, under pseudonyms. Agreement: how often a rating matches the majority of the others on the same response."</caption>
                <thead>
                    <tr>
                        <th scope="col">"Contributor"</th>
                        <th scope="col">"Ratings"</th>
                        <th scope="col">"Agreement"</th>
                    </tr>
                </thead>
                <tbody>
                    {people.into_iter().map(|p| view! {
                        <tr>
                            <th scope="row" class="board-model">{p.name}</th>
                            <td>{p.ratings}</td>
                            <td>{p.agreement.map_or_else(|| "–".to_string(), percent)}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
    })
}

pub(crate) fn percent(x: f64) -> String {
    format!("{:.0}%", x * 100.0)
}

#[component]
fn ModelLine(m: ModelStanding, campaign: String) -> impl IntoView {
    let href = format!(
        "/leaderboard/model?campaign={}&model={}",
        browser::encode_component(&campaign),
        browser::encode_component(&m.model)
    );
    let (rate, interval) = match m.rate {
        Some(r) => (
            percent(r.estimate),
            format!("{}–{}", percent(r.low), percent(r.high)),
        ),
        None => ("–".to_string(), "–".to_string()),
    };
    view! {
        <tr class:preliminary=m.preliminary>
            <td class="board-rank">{m.rank}</td>
            <th scope="row" class="board-model">
                <a class="board-model-link" href=href>{m.model}</a>
                {m.preliminary.then(|| view! { <span class="tag">"preliminary"</span> })}
            </th>
            <td>{rate}<span class="board-interval">{interval}</span></td>
            <td>{m.votes}</td>
            <td>{format!("{} of {}", m.rated_responses, m.responses)}</td>
        </tr>
    }
}

#[component]
fn ProgressPanel(progress: BoardProgress) -> impl IntoView {
    let share = if progress.totals.target == 0 {
        0.0
    } else {
        progress.totals.ratings as f64 / progress.totals.target as f64
    };
    view! {
        <section class="board-progress" aria-label="Progress">
            <p>
                <strong>{progress.totals.ratings}</strong>{format!(" of {} ratings", progress.totals.target)}
                {format!(" · {} of {} responses complete", progress.totals.completed, progress.totals.responses)}
                {format!(" · {} active in the last 10 minutes", progress.active_annotators)}
            </p>
            <div class="progress-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100"
                aria-valuenow=format!("{:.0}", share * 100.0) aria-label="Ratings towards the target">
                <div class="progress-fill" style=format!("width: {:.1}%", share.min(1.0) * 100.0)></div>
            </div>
            <Sparkline counts=progress.per_hour.iter().map(|h| h.ratings).collect() />
        </section>
    }
}

/// Ratings per hour over the last day, as a small bar chart.
#[component]
fn Sparkline(counts: Vec<i64>) -> impl IntoView {
    let peak = counts.iter().copied().max().unwrap_or(0).max(1) as f64;
    let n = counts.len().max(1) as f64;
    let width = 240.0;
    let height = 36.0;
    let bar = width / n;
    let total: i64 = counts.iter().sum();
    let bars = counts
        .into_iter()
        .enumerate()
        .map(|(i, c)| {
            let h = (c.max(0) as f64 / peak) * (height - 2.0);
            view! { <rect class="spark-bar" x=i as f64 * bar + 1.0 y=height - h width=(bar - 2.0).max(1.0) height=h /> }
        })
        .collect_view();
    view! {
        <figure class="board-spark">
            <svg viewBox=format!("0 0 {width} {height}") role="img"
                aria-label=format!("Ratings per hour over the last 24 hours: {total} in all")>
                {bars}
            </svg>
            <figcaption>"Ratings per hour, last 24 hours"</figcaption>
        </figure>
    }
}

/// Following the event stream, in the browser only.
#[cfg(feature = "hydrate")]
pub(crate) mod live {
    use std::rc::Rc;

    use futures::StreamExt;
    use gloo_net::eventsource::State;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::*;

    use crate::api::LeaderboardReply;
    use crate::browser;

    /// After the browser gave up on the stream, open a new one this much later.
    const RETRY_MS: u32 = 3_000;
    /// How often the connection indicator looks at the stream's state.
    const STATE_MS: u32 = 500;

    /// Keeps `board` equal to the server's latest snapshot. The browser's EventSource
    /// reconnects by itself after a dropped connection, and every (re)connection starts
    /// with a full snapshot, so nothing is missed; a stream the browser gave up on is
    /// reopened. `connected` follows the stream's state for the live indicator.
    pub fn follow(slug: String, board: RwSignal<LeaderboardReply>, connected: RwSignal<bool>) {
        follow_with(slug, move |reply| board.try_set(reply).is_none(), connected);
    }

    /// As `follow`, handing each snapshot to `take`, which answers whether the page is
    /// still there to take more.
    pub fn follow_with(
        slug: String,
        take: impl Fn(LeaderboardReply) -> bool + 'static,
        connected: RwSignal<bool>,
    ) {
        leptos::task::spawn_local(async move {
            let url = format!("/api/campaigns/{slug}/events");
            loop {
                if let Ok(mut source) = EventSource::new(&url)
                    && let Ok(mut snapshots) = source.subscribe("leaderboard")
                {
                    let source = Rc::new(source);
                    watch_state(Rc::clone(&source), connected);
                    // Errors reach this stream only once the browser stopped retrying.
                    while let Some(Ok((_, message))) = snapshots.next().await {
                        let parsed = message
                            .data()
                            .as_string()
                            .and_then(|json| serde_json::from_str::<LeaderboardReply>(&json).ok());
                        if let Some(reply) = parsed
                            && !take(reply)
                        {
                            return; // the page is gone
                        }
                    }
                    // Dropping the last handle closes it (the state watcher lets go once
                    // it sees the stream closed).
                    drop(source);
                }
                if connected.try_set(false).is_some() {
                    return;
                }
                browser::sleep(RETRY_MS).await;
            }
        });
    }

    /// Mirrors the stream's state into `connected` until the stream is closed.
    fn watch_state(source: Rc<EventSource>, connected: RwSignal<bool>) {
        leptos::task::spawn_local(async move {
            loop {
                let state = source.state();
                let open = matches!(state, State::Open);
                // The page may be gone (a link followed inside the app): stop then.
                let Some(shown) = connected.try_get_untracked() else {
                    return;
                };
                if shown != open && connected.try_set(open).is_some() {
                    return;
                }
                if matches!(state, State::Closed) {
                    return;
                }
                browser::sleep(STATE_MS).await;
            }
        });
    }
}

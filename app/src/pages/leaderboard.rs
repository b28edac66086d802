//! `/leaderboard?campaign=SLUG`: each model's 👍 rate with its 95% interval, as a table
//! and as an SVG chart drawn here (no chart library), with progress and agreement. Live:
//! the page follows `GET /api/campaigns/{slug}/events` and redraws on each snapshot.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{BoardProgress, ContributorLine, LeaderboardReply, ModelStanding, leaderboard};
use crate::browser;
use crate::components::account_link::AccountLink;
use crate::components::notices::{ErrorNotice, NoCampaign};

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let campaign = Memo::new(move |_| query.read().get("campaign"));
    let board = Resource::new(move || campaign.get(), |c| leaderboard(c, None));
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

/// The board as rendered on the server, then kept current by the event stream.
#[component]
fn LiveBoard(reply: LeaderboardReply) -> impl IntoView {
    let slug = reply.campaign.clone();
    let board = RwSignal::new(reply);
    let connected = RwSignal::new(false);
    // "Reconnecting" only makes sense once there was a connection.
    let was_connected =
        Memo::new(move |before: Option<&bool>| before.copied().unwrap_or(false) || connected.get());
    #[cfg(feature = "hydrate")]
    live::follow(slug.clone(), board, connected);
    #[cfg(not(feature = "hydrate"))]
    let _ = &slug;
    view! {
        {move || view! { <Board reply=board.get() /> }}
        <p class="board-live" role="status" data-live=move || connected.get().to_string()>
            {move || match (connected.get(), was_connected.get()) {
                (true, _) => "● Live: updates as ratings come in",
                (false, true) => "○ Reconnecting…",
                (false, false) => "○ Connecting…",
            }}
        </p>
    }
}

#[component]
fn Board(reply: LeaderboardReply) -> impl IntoView {
    let rate_href = format!("/?campaign={}", reply.campaign);
    let export_href = format!("/export?campaign={}", reply.campaign);
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
        <RateChart models=reply.models.clone() />
        <table class="board-table board-models">
            <caption>{format!("👍 rate per model; beneath it, its Wilson 95% interval. Models whose intervals overlap share a rank; models with fewer than {min_votes} votes are preliminary.")}</caption>
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
                {reply.models.into_iter().map(|m| view! { <ModelLine m /> }).collect_view()}
            </tbody>
        </table>
        {agreement}
        <Contributors people=reply.contributors />
        <p class="board-export">
            <a class="notice-link" href=export_href>"Export the ratings as a dataset (KTO, DPO, raw)"</a>
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
fn ModelLine(m: ModelStanding) -> impl IntoView {
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
                {m.model}
                {m.preliminary.then(|| view! { <span class="tag">"preliminary"</span> })}
            </th>
            <td>{rate}<span class="board-interval">{interval}</span></td>
            <td>{m.votes}</td>
            <td>{format!("{} of {}", m.rated_responses, m.responses)}</td>
        </tr>
    }
}

/// Geometry of the rate chart, in SVG user units; the SVG scales to the width it gets.
/// Each model takes a row: its name, then its whisker beneath across the full width, so
/// long names stay readable on a phone.
const CHART_WIDTH: f64 = 340.0;
const MARGIN: f64 = 14.0;
const ROW_HEIGHT: f64 = 44.0;
const AXIS_HEIGHT: f64 = 22.0;

fn x_of(rate: f64) -> f64 {
    MARGIN + rate.clamp(0.0, 1.0) * (CHART_WIDTH - 2.0 * MARGIN)
}

#[component]
fn RateChart(models: Vec<ModelStanding>) -> impl IntoView {
    let height = models.len() as f64 * ROW_HEIGHT + AXIS_HEIGHT;
    let summary = models
        .iter()
        .map(|m| match m.rate {
            Some(r) => format!(
                "{} {} (from {} to {})",
                m.model,
                percent(r.estimate),
                percent(r.low),
                percent(r.high)
            ),
            None => format!("{} no votes yet", m.model),
        })
        .collect::<Vec<_>>()
        .join("; ");
    let grid = [0.0, 0.25, 0.5, 0.75, 1.0]
        .into_iter()
        .map(|t| {
            let x = x_of(t);
            let anchor = match t {
                0.0 => "start",
                1.0 => "end",
                _ => "middle",
            };
            let label_x = match t {
                0.0 => x - 4.0,
                1.0 => x + 4.0,
                _ => x,
            };
            view! {
                <line class="chart-grid" x1=x x2=x y1=0 y2=height - AXIS_HEIGHT + 4.0 />
                <text class="chart-axis" x=label_x y=height - 6.0 text-anchor=anchor>{percent(t)}</text>
            }
        })
        .collect_view();
    let rows = models
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let top = i as f64 * ROW_HEIGHT;
            let y = top + 30.0;
            let label = m.model.clone();
            let marks = m.rate.map(|r| {
                let (lo, hi, mid) = (x_of(r.low), x_of(r.high), x_of(r.estimate));
                view! {
                    <line class="chart-whisker" x1=lo x2=hi y1=y y2=y />
                    <line class="chart-whisker" x1=lo x2=lo y1=y - 6.0 y2=y + 6.0 />
                    <line class="chart-whisker" x1=hi x2=hi y1=y - 6.0 y2=y + 6.0 />
                    <circle class="chart-dot" class:preliminary=m.preliminary cx=mid cy=y r=5 />
                }
            });
            view! {
                <text class="chart-label" x=MARGIN - 4.0 y=top + 14.0>{label}</text>
                {marks}
            }
        })
        .collect_view();
    view! {
        <figure class="board-chart">
            <svg viewBox=format!("0 0 {CHART_WIDTH} {height}") role="img" aria-label=format!("👍 rate per model: {summary}")>
                {grid}
                {rows}
            </svg>
        </figure>
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
mod live {
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
                            && board.try_set(reply).is_some()
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
                if connected.get_untracked() != open && connected.try_set(open).is_some() {
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

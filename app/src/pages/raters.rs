//! `/admin/raters?campaign=SLUG`: each rater of a campaign with their figures and flags,
//! sortable, and one click (with a reason, for the audit log) to exclude a rater's votes
//! from the campaign or to count them again. `/admin/audit`: the log of those actions.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::location::Url;

use super::leaderboard::percent;
use crate::api::{
    ApiError, AuditLine, RaterChangeReply, RaterLine, audit_log, exclude_rater, include_rater,
    raters,
};
use crate::browser;
use crate::components::notices::{ErrorNotice, InstanceNotices};

/// How the list can be ordered: (query value, label).
const SORTS: &[(&str, &str)] = &[
    ("ratings", "Most ratings"),
    ("flags", "Flagged first"),
    ("agreement", "Lowest agreement"),
    ("speed", "Fastest"),
    ("up", "Most 👍"),
    ("gold", "Lowest gold accuracy"),
];

/// What one press of Exclude or Include sends.
#[derive(Clone)]
struct Change {
    campaign: String,
    user_id: i32,
    reason: String,
    exclude: bool,
}

#[component]
pub fn RatersPage() -> impl IntoView {
    let query = use_query_map();
    let campaign = Memo::new(move |_| query.read().get("campaign").unwrap_or_default());
    let sort = Memo::new(move |_| query.read().get("sort").unwrap_or_else(|| "ratings".into()));
    let change = Action::new(|c: &Change| {
        let c = c.clone();
        async move {
            if c.exclude {
                exclude_rater(c.campaign, c.user_id, c.reason).await
            } else {
                include_rater(c.campaign, c.user_id, c.reason).await
            }
        }
    });
    let list = Resource::new(
        move || (campaign.get(), change.version().get()),
        |(campaign, _)| raters(campaign),
    );
    let outcome = move || {
        change.value().get().map(|result: Result<RaterChangeReply, ApiError>| match result {
            Ok(reply) => view! {
                <p class="field-hint" role="status">{if reply.excluded {
                    format!("Excluded: {} ratings set aside (stored, not counted).", reply.ratings)
                } else {
                    format!("Included again: {} ratings counted.", reply.ratings)
                }}</p>
            }
            .into_any(),
            Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
        })
    };
    view! {
        <main class="screen account-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Raters"</span>
                <a class="topbar-link" href="/admin/audit">"Audit log"</a>
            </header>
            <InstanceNotices />
            {outcome}
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || {
                let by = sort.get();
                Suspend::new(async move {
                    browser::mark_hydrated();
                    match list.await {
                        Ok(reply) => {
                            let mut lines = reply.raters;
                            sort_lines(&mut lines, &by);
                            let flagged = lines.iter().filter(|l| !l.flags.is_empty() && l.excluded.is_none()).count();
                            let excluded = lines.iter().filter(|l| l.excluded.is_some()).count();
                            let slug = reply.campaign.clone();
                            let to = slug.clone();
                            let by = by.clone();
                            let navigate = use_navigate();
                            view! {
                                <h1 class="account-title">{format!("Raters of {}", reply.title)}</h1>
                                <p class="field-hint">{format!(
                                    "{} rater{} · {flagged} flagged · {excluded} excluded. An excluded rater's ratings stay stored but leave the leaderboard, the labels and the exports.",
                                    lines.len(),
                                    if lines.len() == 1 { "" } else { "s" }
                                )}</p>
                                <form class="raters-sort" method="get" action="/admin/raters">
                                    <input type="hidden" name="campaign" value=slug.clone() />
                                    <label class="field field-inline">
                                        <span>"Sort"</span>
                                        <select name="sort" on:change=move |ev| {
                                            let sort = event_target_value(&ev);
                                            navigate(&format!("/admin/raters?campaign={}&sort={sort}", Url::escape(&to)), Default::default());
                                        }>
                                            {SORTS.iter().map(|(value, label)| view! {
                                                <option value=*value selected=by == *value>{*label}</option>
                                            }).collect_view()}
                                        </select>
                                    </label>
                                    <noscript><button class="button button-small" type="submit">"Sort"</button></noscript>
                                </form>
                                <ul class="user-list">
                                    {lines.into_iter().map(|line| view! { <RaterItem line campaign=slug.clone() change /> }).collect_view()}
                                </ul>
                            }.into_any()
                        }
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })
                }}
            </Transition>
        </main>
    }
}

fn sort_lines(lines: &mut [RaterLine], by: &str) {
    let agreement = |l: &RaterLine| l.agreement.map_or(f64::INFINITY, |a| a.estimate);
    let speed = |l: &RaterLine| l.median_under_ms.unwrap_or(i64::MAX);
    match by {
        "flags" => lines.sort_by_key(|l| std::cmp::Reverse(l.flags.len())),
        "agreement" => lines.sort_by(|a, b| agreement(a).total_cmp(&agreement(b))),
        "speed" => lines.sort_by_key(speed),
        "gold" => lines.sort_by(|a, b| {
            let gold = |l: &RaterLine| l.gold_accuracy.map_or(f64::INFINITY, |a| a.estimate);
            gold(a).total_cmp(&gold(b))
        }),
        "up" => lines.sort_by(|a, b| {
            b.up_share
                .unwrap_or(0.0)
                .total_cmp(&a.up_share.unwrap_or(0.0))
        }),
        _ => lines.sort_by_key(|l| std::cmp::Reverse(l.ratings)),
    }
}

#[component]
fn RaterItem(
    line: RaterLine,
    campaign: String,
    change: Action<Change, Result<RaterChangeReply, ApiError>>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let excluded = line.excluded.clone();
    let exclude = excluded.is_none();
    let user_id = line.user_id;
    let agreement = line
        .agreement
        .map_or("agreement: nothing to compare yet".to_string(), |a| {
            format!(
                "agrees {} [{}–{}] of {}",
                percent(a.estimate),
                percent(a.low),
                percent(a.high),
                line.compared
            )
        });
    let speed = match (line.timed, line.median_under_ms) {
        (0, _) => "not timed".to_string(),
        (_, Some(ms)) => format!("median under {:.1} s", ms as f64 / 1000.0),
        (_, None) => "median over a minute".to_string(),
    };
    let gold = match (line.gold, line.gold_accuracy) {
        (0, _) | (_, None) => String::new(),
        (n, Some(a)) => format!(
            " · gold {} [{}–{}] of {n}",
            percent(a.estimate),
            percent(a.low),
            percent(a.high)
        ),
    };
    let meta = format!(
        "{} ratings · 👍 {} · {agreement}{gold} · {speed} · {} skips",
        line.ratings,
        line.up_share.map_or("-".to_string(), percent),
        line.skips
    );
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch(Change {
            campaign: campaign.clone(),
            user_id,
            reason: reason.get_untracked(),
            exclude,
        });
    };
    let name = line.name.clone();
    view! {
        <li class="user-line" class:user-disabled=!exclude data-rater=line.name.clone()>
            <div class="user-head">
                <strong class="user-name">{line.name.clone()}</strong>
                {line.guest.then(|| view! { <span class="badge">"guest"</span> })}
                {(!exclude).then(|| view! { <span class="badge badge-off">"excluded"</span> })}
                {(line.held > 0).then(|| view! { <span class="badge">{format!("{} held back", line.held)}</span> })}
                {(!line.flags.is_empty()).then(|| view! { <span class="badge badge-warn">{format!("{} flag{}", line.flags.len(), if line.flags.len() == 1 { "" } else { "s" })}</span> })}
            </div>
            <p class="user-meta">{meta}</p>
            {(!line.flag_notes.is_empty()).then(|| view! {
                <ul class="rater-flags">
                    {line.flag_notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                </ul>
            })}
            {excluded.map(|why| view! { <p class="user-meta">{format!("Excluded: {why}")}</p> })}
            <form class="user-actions rater-change" on:submit=submit>
                <label class="field field-inline">
                    <span class="visually-hidden">{format!("Why {} {name}", if exclude { "exclude" } else { "include" })}</span>
                    <input type="text" required maxlength="500" placeholder="Reason (for the audit log)"
                        prop:value=move || reason.get()
                        on:input=move |ev| reason.set(event_target_value(&ev)) />
                </label>
                <button class="button button-small" type="submit">
                    {if exclude { "Exclude" } else { "Include again" }}
                </button>
            </form>
        </li>
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let lines = Resource::new(|| (), |_| audit_log(Some(200)));
    view! {
        <main class="screen account-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Audit log"</span>
                <a class="topbar-link" href="/admin/campaigns">"Campaigns"</a>
            </header>
            <InstanceNotices />
            <h1 class="account-title">"Audit log"</h1>
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match lines.await {
                        Ok(lines) if lines.is_empty() => view! {
                            <p class="field-hint">"No admin action yet. Excluding or including a rater is recorded here, with who did it and why."</p>
                        }.into_any(),
                        Ok(lines) => view! {
                            <p class="field-hint">{match lines.len() {
                                1 => "One admin action so far.".to_string(),
                                n => format!("The newest {n} admin actions, newest first."),
                            }}</p>
                            <ul class="user-list">
                                {lines.into_iter().map(|l| view! { <AuditItem l /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn AuditItem(l: AuditLine) -> impl IntoView {
    let when = l.at.replace('T', " ").trim_end_matches('Z').to_string();
    let action = l.action.replace('_', " ");
    view! {
        <li class="user-line">
            <div class="user-head">
                <strong class="user-name">{action}</strong>
                <span class="badge">{l.actor.clone()}</span>
            </div>
            <p class="user-meta">{format!("{when} UTC · {}", l.target)}</p>
            <p class="user-meta">{format!("Why: {}", l.reason)}</p>
        </li>
    }
}

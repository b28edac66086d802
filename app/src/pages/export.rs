//! `/export?campaign=SLUG`: pick the campaign, kind, variant, label policy and format (and,
//! for CSV, whether to make it safe to open in a spreadsheet); see how many rows that gives
//! and what the policy drops; download the data file or a zip of the whole dataset
//! directory (data + card), or publish it to the Hub (`super::publish`). The choices live in the URL's query, so the page works as a
//! plain form before (or without) the Wasm bundle, and a link to a chosen export can be
//! shared.

use leptos::prelude::*;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_query_map};
use leptos_router::params::ParamsMap;

use super::publish::PublishPanel;
use crate::api::{ExportPlanReply, export_preview};
use crate::browser;
use crate::components::account_link::AccountLink;
use crate::components::notices::{ErrorNotice, InstanceNotices, NoCampaign};

/// One `<select>` option: the value sent, the words shown.
type Choice = (&'static str, &'static str);

const KINDS: &[Choice] = &[
    ("kto", "KTO: one row per labelled response"),
    ("dpo", "DPO: 👍/👎 pairs per prompt"),
    ("ratings", "Ratings: one row per swipe"),
];
const VARIANTS: &[Choice] = &[
    ("standard", "Standard: plain text"),
    ("conversational", "Conversational: chat messages"),
];
const POLICIES: &[Choice] = &[
    ("majority", "Majority (ties dropped)"),
    ("unanimous", "Unanimous"),
    ("weighted", "Weighted by rater reliability"),
];
const METADATA: &[Choice] = &[
    ("all", "Every metadata field of prompts and responses"),
    ("none", "None"),
];
const FORMATS: &[Choice] = &[
    ("parquet", "Parquet"),
    ("jsonl", "JSON Lines"),
    ("csv", "CSV"),
];

/// The query keys the form sends, in the order the download URL lists them.
pub(super) const KEYS: &[&str] = &[
    "kind",
    "variant",
    "policy",
    "min_votes",
    "max_pairs_per_prompt",
    "format",
    "csv_safe",
    "threshold",
    "metadata",
];

#[component]
pub fn ExportPage() -> impl IntoView {
    let query = use_query_map();
    let get = move |key: &'static str| Memo::new(move |_| query.read().get(key));
    let campaign = get("campaign");
    let fields: Vec<Memo<Option<String>>> = KEYS.iter().map(|k| get(k)).collect();
    let request = Memo::new(move |_| {
        (
            campaign.get(),
            fields.iter().map(|f| f.get()).collect::<Vec<_>>(),
        )
    });
    let preview = Resource::new(
        move || request.get(),
        |(campaign, f)| {
            let at = |i: usize| f.get(i).cloned().flatten();
            export_preview(
                campaign,
                at(0),
                at(5),
                at(1),
                at(2),
                at(3),
                at(7),
                at(4),
                at(6),
                at(8),
            )
        },
    );
    view! {
        <main class="screen export-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Export"</span>
                <a class="topbar-link" href="/leaderboard">"Leaderboard"</a>
                <AccountLink />
            </header>
            <InstanceNotices />
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match preview.await {
                        Ok(Some(plan)) => view! { <ExportForm plan /> }.into_any(),
                        Ok(None) => view! { <NoCampaign /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

/// The value of `key` in the current query, or `default`.
fn current(key: &'static str, default: &'static str) -> String {
    use_query_map()
        .read_untracked()
        .get(key)
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_string())
}

#[component]
fn Select(
    name: &'static str,
    label: &'static str,
    choices: &'static [Choice],
    default: &'static str,
) -> impl IntoView {
    let selected = current(name, default);
    view! {
        <label class="export-field">
            <span>{label}</span>
            <select name=name on:change=change_to(name)>
                {choices
                    .iter()
                    .map(|(value, words)| {
                        view! { <option value=*value selected=*value == selected>{*words}</option> }
                    })
                    .collect_view()}
            </select>
        </label>
    }
}

/// A change handler that puts the new value of `key` in the URL's query: the page follows
/// (a client-side navigation, no reload), and the URL always names the chosen export.
fn change_to(key: &'static str) -> impl Fn(leptos::ev::Event) + 'static {
    change_query(move |params, ev| params.replace(key, event_target_value(ev)))
}

/// The same for a checkbox: `key=true` while it is ticked, no `key` otherwise.
fn toggle(key: &'static str) -> impl Fn(leptos::ev::Event) + 'static {
    change_query(move |params, ev| {
        if event_target_checked(ev) {
            params.replace(key, "true".to_string());
        } else {
            params.remove(key);
        }
    })
}

/// A change handler that edits the URL's query with `edit` and follows it.
fn change_query(
    edit: impl Fn(&mut ParamsMap, &leptos::ev::Event) + 'static,
) -> impl Fn(leptos::ev::Event) + 'static {
    let query = use_query_map();
    let navigate = use_navigate();
    move |ev| {
        let mut params = query.get_untracked();
        edit(&mut params, &ev);
        navigate(
            &format!("/export{}", params.to_query_string()),
            NavigateOptions::default(),
        );
    }
}

/// The download URL for the current choices.
fn download_href(plan: &ExportPlanReply, archive: bool) -> String {
    let query = use_query_map().read_untracked();
    let mut params = ParamsMap::new();
    for key in KEYS {
        if let Some(value) = query.get(key).filter(|v| !v.is_empty()) {
            params.insert(*key, value);
        }
    }
    if archive {
        params.insert("archive", "zip".to_string());
    }
    format!(
        "/api/campaigns/{}/export{}",
        leptos_router::location::Url::escape(&plan.campaign),
        params.to_query_string()
    )
}

#[component]
fn ExportForm(plan: ExportPlanReply) -> impl IntoView {
    let kind = current("kind", "kto");
    let min_votes = current("min_votes", "2");
    let is_weighted = current("policy", "majority") == "weighted";
    let threshold = current("threshold", "0.8");
    let max_pairs = current("max_pairs_per_prompt", "");
    let is_dpo = kind == "dpo";
    let is_ratings = kind == "ratings";
    let is_csv = current("format", "parquet") == "csv";
    let csv_safe = current("csv_safe", "false") == "true";
    let ready = plan.problem.is_none();
    let summary = if is_ratings {
        format!("{} ratings", plan.rows)
    } else if is_dpo {
        format!(
            "{} pairs from {} prompts ({} labelled responses)",
            plan.rows, plan.prompts_with_pairs, plan.labelled
        )
    } else {
        format!(
            "{} of {} responses have a label",
            plan.labelled, plan.responses
        )
    };
    let data_href = download_href(&plan, false);
    let zip_href = download_href(&plan, true);
    view! {
        <form class="export-form" method="get" action="/export">
            <h1 class="board-title">{format!("Export {}", plan.title)}</h1>
            <label class="export-field">
                <span>"Campaign"</span>
                <select name="campaign" on:change=change_to("campaign")>
                    {plan
                        .campaigns
                        .iter()
                        .map(|c| {
                            view! {
                                <option value=c.slug.clone() selected=c.slug == plan.campaign>
                                    {c.title.clone()}
                                </option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <Select name="kind" label="Kind" choices=KINDS default="kto" />
            <Select name="variant" label="Variant" choices=VARIANTS default="standard" />
            <fieldset class="export-policy" disabled=is_ratings>
                <legend>"Label policy"</legend>
                <Select name="policy" label="Rule" choices=POLICIES default="majority" />
                <label class="export-field">
                    <span>"Minimum votes"</span>
                    <input type="number" name="min_votes" min="1" inputmode="numeric" value=min_votes on:change=change_to("min_votes") />
                </label>
                {is_weighted.then(|| view! {
                    <label class="export-field">
                        <span>"P(👍) a label needs"</span>
                        <input type="number" name="threshold" min="0.51" max="0.99" step="0.01" inputmode="decimal" value=threshold.clone() on:change=change_to("threshold") />
                    </label>
                    <p class="export-note">"Each rater's votes count by how reliable they prove; random and one-sided clickers count for almost nothing. KTO rows gain a p_up column."</p>
                })}
            </fieldset>
            {is_dpo.then(|| view! {
                <label class="export-field">
                    <span>"Pairs per prompt (empty: all)"</span>
                    <input type="number" name="max_pairs_per_prompt" min="1" inputmode="numeric" value=max_pairs.clone() on:change=change_to("max_pairs_per_prompt") />
                </label>
            })}
            <Select name="metadata" label="Metadata columns" choices=METADATA default="all" />
            <Select name="format" label="Format" choices=FORMATS default="parquet" />
            {is_csv.then(|| view! {
                <label class="check">
                    <input type="checkbox" name="csv_safe" value="true" checked=csv_safe on:change=toggle("csv_safe") />
                    <span>"Safe to open in a spreadsheet: a ' before each cell that begins with = + - or @ (those cells then differ from the text as written)"</span>
                </label>
            })}
            <noscript><button type="submit" class="export-update">"Update"</button></noscript>
        </form>
        <section class="export-result" aria-live="polite">
            {match plan.problem.clone() {
                Some(problem) => view! { <p class="export-problem" role="alert">{problem}</p> }.into_any(),
                None => view! {
                    <p class="export-summary"><strong>{summary}</strong></p>
                    {(!is_ratings).then(|| view! {
                        <ul class="export-dropped">
                            {plan.dropped.iter().map(|d| view! { <li>{format!("{} dropped: {}", d.count, d.reason)}</li> }).collect_view()}
                            {(is_dpo && plan.prompts_one_sided > 0).then(|| view! {
                                <li>{format!("{} prompts have labels of one kind only: no pair", plan.prompts_one_sided)}</li>
                            })}
                            {(plan.pairs_over_cap > 0).then(|| view! {
                                <li>{format!("{} pairs over the cap", plan.pairs_over_cap)}</li>
                            })}
                        </ul>
                    })}
                }.into_any(),
            }}
            <div class="export-actions">
                {if ready {
                    view! {
                        <a class="export-download" href=data_href download=plan.file_name.clone()>
                            {format!("Download {}", plan.file_name)}
                        </a>
                        <a class="export-download export-zip" href=zip_href download=plan.zip_name.clone()>
                            "Download .zip (data + dataset card)"
                        </a>
                    }
                    .into_any()
                } else {
                    // Nothing to download with these choices: the reason is shown above.
                    view! {
                        <button type="button" class="export-download" disabled>"Download"</button>
                        <button type="button" class="export-download export-zip" disabled>
                            "Download .zip (data + dataset card)"
                        </button>
                    }
                    .into_any()
                }}
            </div>
            <p class="export-note">"The .zip is a Hugging Face dataset folder: data/ and a README.md card saying how the data was made."</p>
        </section>
        <PublishPanel campaign=plan.campaign.clone() kind=kind ready />
    }
}

//! `/admin/campaigns` and `/admin/campaign?campaign=SLUG`: the admin's campaigns with their
//! counts, and one campaign's settings (or a new one), its imports and its generation
//! (`super::generate`).

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use super::generate::GeneratePanel;
use crate::api::{
    CampaignAdminReply, CampaignLine, CampaignSettings, GoldChangeReply, GoldLine, Label,
    admin_campaign, admin_campaigns, generate_status, gold_cards, save_campaign, set_gold,
};
use crate::browser;
use crate::components::account_link::AccountLink;
use crate::components::notices::{ErrorNotice, InstanceNotices};

fn topbar(title: &'static str) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"swipeset"</a>
            <span class="topbar-campaign">{title}</span>
            <a class="topbar-link" href="/admin/campaigns">"Campaigns"</a>
            <AccountLink />
        </header>
    }
}

#[component]
pub fn CampaignsPage() -> impl IntoView {
    let list = Resource::new(|| (), |_| admin_campaigns());
    view! {
        <main class="screen account-screen">
            {topbar("Admin")}
            <InstanceNotices />
            <h1 class="account-title">"Campaigns"</h1>
            <a class="button button-primary" href="/admin/campaign">"New campaign"</a>
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match list.await {
                        Ok(lines) if lines.is_empty() => view! {
                            <p class="field-hint">"No campaign yet. Make one, then import prompts with " <code>"swipeset import prompts"</code> "."</p>
                        }.into_any(),
                        Ok(lines) => view! {
                            <ul class="user-list">
                                {lines.into_iter().map(|c| view! { <CampaignItem c /> }).collect_view()}
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
fn CampaignItem(c: CampaignLine) -> impl IntoView {
    let edit = format!("/admin/campaign?campaign={}", c.slug);
    let board = format!("/leaderboard?campaign={}", c.slug);
    let export = format!("/export?campaign={}", c.slug);
    let raters = format!("/admin/raters?campaign={}", c.slug);
    let flags = format!("/admin/flags?campaign={}", c.slug);
    view! {
        <li class="user-line" data-campaign=c.slug.clone()>
            <div class="user-head">
                <strong class="user-name">{c.title.clone()}</strong>
                {(!c.open).then(|| view! { <span class="badge badge-off">"closed"</span> })}
                {c.public_board.then(|| view! { <span class="badge badge-on">"public board"</span> })}
            </div>
            <p class="user-meta">{format!(
                "{} · {} prompts · {} responses · {} of {} ratings (overlap {})",
                c.slug, c.prompts, c.responses, c.ratings, c.target, c.overlap
            )}</p>
            <p class="user-actions">
                <a href=edit aria-label=format!("Edit {}", c.title)>"Edit"</a>
                <a href=board>"Leaderboard"</a>
                <a href=export>"Export"</a>
                <a href=raters>"Raters"</a>
                <a href=flags>"Flags"</a>
            </p>
        </li>
    }
}

#[component]
pub fn CampaignPage() -> impl IntoView {
    let query = use_query_map();
    let slug = Memo::new(move |_| query.read().get("campaign").filter(|s| !s.is_empty()));
    let loaded = Resource::new(
        move || slug.get(),
        |slug| async move {
            // The Generate section's status comes with the rest, in the page's one
            // Suspense: a second one nested inside would hydrate later, and an import
            // finishing before it had could refetch it mid-hydration.
            match slug {
                Some(slug) => {
                    let campaign = admin_campaign(slug.clone()).await?;
                    let generate = generate_status(slug).await?;
                    Ok(Some((campaign, generate)))
                }
                None => Ok(None),
            }
        },
    );
    view! {
        <main class="screen account-screen">
            {topbar("Admin")}
            <InstanceNotices />
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match loaded.await {
                        Ok(Some((CampaignAdminReply { settings, .. }, generate))) => {
                            let slug = settings.slug.clone();
                            // Bumped by each import, so the Generate section counts the
                            // new prompts.
                            let imported = RwSignal::new(0u32);
                            view! {
                                <h1 class="account-title">{settings.title.clone()}</h1>
                                <CampaignForm settings create=false />
                                <ImportPanel slug=slug.clone() imported />
                                <GoldPanel slug=slug.clone() imported />
                                <GeneratePanel reply=generate imported />
                            }.into_any()
                        }
                        Ok(None) => view! {
                            <h1 class="account-title">"New campaign"</h1>
                            <CampaignForm settings=CampaignSettings::default() create=true />
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn CampaignForm(settings: CampaignSettings, create: bool) -> impl IntoView {
    let slug = RwSignal::new(settings.slug.clone());
    let title = RwSignal::new(settings.title.clone());
    let guidelines = RwSignal::new(settings.guidelines.clone());
    let overlap = RwSignal::new(settings.overlap.to_string());
    let reveal = RwSignal::new(settings.reveal_models);
    let open = RwSignal::new(settings.open);
    let public = RwSignal::new(settings.public_board);
    let license = RwSignal::new(settings.license.clone());
    let system = RwSignal::new(settings.system_prompt.clone());
    let flag_agreement = RwSignal::new(settings.flag_agreement_pct.to_string());
    let flag_fast = RwSignal::new(format!("{:.1}", f64::from(settings.flag_fast_ms) / 1000.0));
    let flag_gold = RwSignal::new(settings.flag_gold_pct.to_string());
    let gold_every = RwSignal::new(settings.gold_every.to_string());
    let adaptive = RwSignal::new(settings.adaptive_overlap);
    let hold_back = RwSignal::new(settings.guest_hold_back.to_string());
    let markdown = RwSignal::new(settings.render_markdown);
    let category = RwSignal::new(settings.category_field.clone());
    let save = Action::new(move |s: &CampaignSettings| save_campaign(s.clone(), create));
    Effect::new(move |_| {
        if create && let Some(Ok(saved)) = save.value().get() {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window
                    .location()
                    .assign(&format!("/admin/campaign?campaign={}", saved.slug));
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = saved;
        }
    });
    let outcome = move || match save.value().get() {
        Some(Ok(_)) if !create => Some(("form-ok", "Saved.".to_string())),
        Some(Err(e)) => Some(("form-error", e.message)),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        // Not a number reads as 0, which the server refuses with a message.
        let overlap = overlap.get_untracked().trim().parse::<i32>().unwrap_or(0);
        let flag_agreement_pct = flag_agreement
            .get_untracked()
            .trim()
            .parse::<i32>()
            .unwrap_or(0);
        let flag_fast_ms = flag_fast
            .get_untracked()
            .trim()
            .parse::<f64>()
            .map_or(0, |s| (s * 1000.0).round() as i32);
        let number =
            |signal: RwSignal<String>| signal.get_untracked().trim().parse::<i32>().unwrap_or(-1);
        save.dispatch(CampaignSettings {
            slug: slug.get_untracked(),
            title: title.get_untracked(),
            guidelines: guidelines.get_untracked(),
            overlap,
            reveal_models: reveal.get_untracked(),
            open: open.get_untracked(),
            public_board: public.get_untracked(),
            license: license.get_untracked(),
            system_prompt: system.get_untracked(),
            flag_agreement_pct,
            flag_fast_ms,
            flag_gold_pct: number(flag_gold),
            gold_every: number(gold_every),
            adaptive_overlap: adaptive.get_untracked(),
            guest_hold_back: number(hold_back),
            render_markdown: markdown.get_untracked(),
            category_field: category.get_untracked(),
        });
    };
    let check = |label: &'static str, signal: RwSignal<bool>| {
        view! {
            <label class="check">
                <input type="checkbox" prop:checked=move || signal.get()
                    on:change=move |ev| signal.set(event_target_checked(&ev)) />
                <span>{label}</span>
            </label>
        }
    };
    view! {
        <form class="account-form panel" on:submit=submit>
            <label class="field"><span>"Slug (in URLs and commands; fixed once made)"</span>
                <input type="text" required pattern="[a-z0-9][a-z0-9\\-]{0,63}" disabled=!create
                    autocapitalize="none" spellcheck="false" bind:value=slug /></label>
            <label class="field"><span>"Title"</span>
                <input type="text" required bind:value=title /></label>
            <label class="field"><span>"Guidelines (markdown: **bold**, lists, links)"</span>
                <textarea rows="6" bind:value=guidelines></textarea></label>
            <label class="field"><span>"Ratings per response (overlap)"</span>
                <input type="number" min="1" max="100" required bind:value=overlap /></label>
            {check("Adaptive overlap: stop once one side leads by two votes (the overlap is then the most a response gets)", adaptive)}
            {check("Show prompts and responses as markdown: code, lists, tables (off: exactly as written, for poetry)", markdown)}
            {check("Open for rating", open)}
            {check("Show the model's name after each swipe", reveal)}
            {check("Leaderboard visible without signing in", public)}
            <label class="field"><span>"Dataset license (Hub id)"</span>
                <input type="text" required bind:value=license /></label>
            <label class="field"><span>"System prompt for prompts without their own (optional)"</span>
                <textarea rows="3" bind:value=system></textarea></label>
            <label class="field"><span>"Category: the metadata field that sorts prompts (topic, language; optional)"</span>
                <input type="text" maxlength="64" autocapitalize="none" spellcheck="false" bind:value=category /></label>
            <fieldset class="export-policy">
                <legend>"Raters page: flag a rater who…"</legend>
                <label class="field"><span>"agrees with the others less than (%, upper end of the 95% interval)"</span>
                    <input type="number" min="1" max="100" required inputmode="numeric" bind:value=flag_agreement /></label>
                <label class="field"><span>"decides most cards in under (seconds)"</span>
                    <input type="number" min="0.1" max="600" step="0.1" required inputmode="decimal" bind:value=flag_fast /></label>
                <label class="field"><span>"gets gold cards right less than (%, upper end of the 95% interval)"</span>
                    <input type="number" min="1" max="100" required inputmode="numeric" bind:value=flag_gold /></label>
            </fieldset>
            <label class="field"><span>"Gold cards: about one card in (0 for none; the first is a rater's third card)"</span>
                <input type="number" min="0" max="1000" required inputmode="numeric" bind:value=gold_every /></label>
            <label class="field"><span>"Guests' votes count after (decisions, a right gold card among them; 0 at once)"</span>
                <input type="number" min="0" max="50" required inputmode="numeric" bind:value=hold_back /></label>
            <p class=move || outcome().map(|o| o.0).unwrap_or("form-error") role="status">{move || outcome().map(|o| o.1)}</p>
            <button class="button button-primary" type="submit" disabled=move || save.pending().get()>
                {if create { "Make the campaign" } else { "Save" }}
            </button>
        </form>
    }
}

/// Uploads a prompts or responses file to `POST /api/campaigns/{slug}/import` (streamed to
/// the server, imported all or nothing) and says what it added or why nothing was.
#[component]
fn ImportPanel(slug: String, imported: RwSignal<u32>) -> impl IntoView {
    let what = RwSignal::new("prompts".to_string());
    let input = NodeRef::<leptos::html::Input>::new();
    let outcome = RwSignal::new(None::<Result<String, String>>);
    let busy = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        #[cfg(feature = "hydrate")]
        {
            let Some(file) = input
                .get()
                .and_then(|el| el.files())
                .and_then(|files| files.get(0))
            else {
                outcome.set(Some(Err("Choose a file first.".to_string())));
                return;
            };
            let url = format!(
                "/api/campaigns/{}/import?what={}&file_name={}",
                slug,
                what.get_untracked(),
                browser::encode_component(&file.name())
            );
            busy.set(true);
            outcome.set(None);
            leptos::task::spawn_local(async move {
                let result = upload::send(&url, file).await;
                if result.is_ok() {
                    imported.update(|n| *n += 1);
                }
                outcome.set(Some(result));
                busy.set(false);
            });
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (&slug, input, imported);
    };
    view! {
        <section class="panel">
            <h2>"Import"</h2>
            <p class="field-hint">"Prompts: JSON Lines (" <code>"prompt"</code> " or " <code>"messages"</code>
                "), CSV, Parquet or text, one per line. Responses: " <code>"prompt"</code> ", "
                <code>"completion"</code> ", " <code>"model"</code> " (distilabel's names work too). All or nothing; duplicates are skipped."</p>
            <form class="account-form" on:submit=submit>
                <label class="field field-inline"><span>"Kind"</span>
                    <select on:change=move |ev| what.set(event_target_value(&ev))>
                        <option value="prompts" selected=true>"Prompts"</option>
                        <option value="responses">"Responses"</option>
                    </select>
                </label>
                <label class="field"><span>"File"</span>
                    <input type="file" node_ref=input accept=".jsonl,.ndjson,.csv,.parquet,.txt,.text" /></label>
                <p class=move || match outcome.get() { Some(Ok(_)) => "form-ok", _ => "form-error" } role="status">
                    {move || outcome.get().map(|o| match o { Ok(m) | Err(m) => m })}
                </p>
                <button class="button" type="submit" disabled=move || busy.get()>
                    {move || if busy.get() { "Importing…" } else { "Upload and import" }}
                </button>
            </form>
        </section>
    }
}

#[cfg(feature = "hydrate")]
mod upload {
    /// Sends the file as the request body and words the answer.
    pub async fn send(url: &str, file: web_sys::File) -> Result<String, String> {
        let request = gloo_net::http::Request::post(url)
            .header("content-type", "application/octet-stream")
            .body(file)
            .map_err(|e| format!("the file could not be read: {e}"))?;
        let response = request
            .send()
            .await
            .map_err(|e| format!("swipeset could not be reached: {e}"))?;
        let ok = response.ok();
        let body: serde_json::Value = response
            .json()
            .await
            .map_err(|e| format!("the answer was not understood: {e}"))?;
        if !ok {
            return Err(body["message"]
                .as_str()
                .unwrap_or("the import failed")
                .to_string());
        }
        let n = |key: &str| body[key].as_u64().unwrap_or(0);
        let created = match n("prompts_added") {
            0 => String::new(),
            p => format!(" (and {p} new prompts)"),
        };
        Ok(format!(
            "Added {} of {} records{created}; {} duplicates skipped; {:.1} s.",
            n("added"),
            n("records"),
            n("duplicates"),
            n("took_ms") as f64 / 1000.0
        ))
    }
}

/// One change of a gold card: which response, the label expected (`None` to unmark), why.
#[derive(Clone)]
struct GoldEdit {
    response_id: i32,
    expected: Option<Label>,
    reason: String,
}

/// The campaign's gold cards: responses whose label is known, dealt about once in N cards
/// to measure raters. Marked here by response id, or imported with a `gold_label` field.
#[component]
fn GoldPanel(slug: String, imported: RwSignal<u32>) -> impl IntoView {
    let campaign = slug.clone();
    let edit = Action::new(move |e: &GoldEdit| {
        let (e, campaign) = (e.clone(), campaign.clone());
        async move { set_gold(campaign, e.response_id, e.expected, e.reason).await }
    });
    let list = Resource::new(
        move || (slug.clone(), edit.version().get(), imported.get()),
        |(slug, _, _)| gold_cards(slug),
    );
    let response = RwSignal::new(String::new());
    let expected = RwSignal::new("up".to_string());
    let reason = RwSignal::new(String::new());
    let outcome = move || {
        edit.value().get().map(|result: Result<GoldChangeReply, _>| match result {
            Ok(reply) => view! {
                <p class="form-ok" role="status">{match reply.expected {
                    Some(label) => format!(
                        "Response {} is a gold card expecting {}{}.",
                        reply.response_id,
                        if label.is_up() { "👍" } else { "👎" },
                        if reply.votes > 0 { format!("; its {} ratings became gold votes", reply.votes) } else { String::new() }
                    ),
                    None => format!("Response {} is an ordinary response again.", reply.response_id),
                }}</p>
            }.into_any(),
            Err(error) => view! { <p class="form-error" role="alert">{error.message}</p> }.into_any(),
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let Ok(response_id) = response.get_untracked().trim().parse::<i32>() else {
            return;
        };
        edit.dispatch(GoldEdit {
            response_id,
            expected: Some(if expected.get_untracked() == "down" {
                Label::Down
            } else {
                Label::Up
            }),
            reason: reason.get_untracked(),
        });
    };
    view! {
        <section class="panel gold-panel" aria-labelledby="gold-title">
            <h2 id="gold-title" class="section-title">"Gold cards"</h2>
            <p class="field-hint">"Responses whose right label you know. Each rater gets one as their third card, then about one card in the number above; they look like any other card, their votes count nowhere but in each rater's gold accuracy (raters page) and the weighted label policy. Mark one by its response id (the flag queue and the ratings export show ids), or import responses with a "<code>"gold_label"</code>" field ("<code>"up"</code>", "<code>"down"</code>", "<code>"true"</code>", "<code>"false"</code>")."</p>
            {outcome}
            // Outside the form (`form=` ties it to it), above the list: marking and
            // unmarking both need it.
            <label class="field"><span>"Reason for a change here (for the audit log)"</span>
                <input type="text" form="gold-mark" required maxlength="500" bind:value=reason /></label>
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(lines) if lines.is_empty() => view! { <p class="field-hint">"No gold cards yet."</p> }.into_any(),
                        Ok(lines) => view! {
                            <ul class="user-list">
                                {lines.into_iter().map(|line| view! { <GoldItem line edit reason /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
            <form id="gold-mark" class="account-form gold-mark" on:submit=submit>
                <label class="field"><span>"Response id"</span>
                    <input type="number" min="1" required inputmode="numeric" bind:value=response /></label>
                <label class="field"><span>"Right label"</span>
                    <select on:change=move |ev| expected.set(event_target_value(&ev)) prop:value=move || expected.get()>
                        <option value="up">"👍 acceptable"</option>
                        <option value="down">"👎 not acceptable"</option>
                    </select>
                </label>
                <button class="button" type="submit" disabled=move || edit.pending().get()>"Mark as gold"</button>
            </form>
        </section>
    }
}

#[component]
fn GoldItem(
    line: GoldLine,
    edit: Action<GoldEdit, Result<GoldChangeReply, crate::api::ApiError>>,
    reason: RwSignal<String>,
) -> impl IntoView {
    let response_id = line.response_id;
    let accuracy = match line.votes {
        0 => "no votes yet".to_string(),
        n => format!("{} of {n} raters right", line.correct),
    };
    let text: String = line
        .response
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    view! {
        <li class="user-line" data-gold=response_id>
            <div class="user-head">
                <strong class="user-name">{format!("Response {response_id}")}</strong>
                <span class=if line.expected.is_up() { "badge badge-on" } else { "badge badge-off" }>
                    {if line.expected.is_up() { "expects 👍" } else { "expects 👎" }}
                </span>
            </div>
            <p class="user-meta">{format!("{} · {accuracy} · {}", line.model, line.prompt)}</p>
            <p class="user-meta gold-text">{text}</p>
            <p class="user-actions">
                <button class="button button-small" type="button"
                    disabled=move || reason.with(|r| r.trim().is_empty())
                    on:click=move |_| { edit.dispatch(GoldEdit { response_id, expected: None, reason: reason.get_untracked() }); }>
                    "Unmark"
                </button>
            </p>
        </li>
    }
}

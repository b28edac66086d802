//! The export page's "Publish to the Hugging Face Hub" panel: the export chosen above,
//! pushed to a dataset repository as one commit. The token stays on the server: an
//! `HF_TOKEN` secret, or one pasted here once (checked with the Hub, kept sealed, never
//! shown again). The scheduled snapshot's last run is shown under it.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{
    ApiError, HubStatusReply, PublishReply, forget_hub_token, hub_status, publish_to_hub,
    save_hub_token,
};
use crate::components::notices::ErrorNotice;

/// What one press of "Publish" sends: the repository, private or not, and the export's
/// options as the page's query has them (in `super::export::KEYS` order).
#[derive(Clone)]
struct PublishInput {
    campaign: String,
    repo: String,
    private: bool,
    fields: Vec<Option<String>>,
}

#[component]
pub fn PublishPanel(campaign: String, kind: String, ready: bool) -> impl IntoView {
    let save = Action::new(|token: &String| save_hub_token(token.clone()));
    let forget = Action::new(|_: &()| forget_hub_token());
    let status = Resource::new(
        move || (save.version().get(), forget.version().get()),
        |_| hub_status(),
    );
    let publish = Action::new(|input: &PublishInput| {
        let input = input.clone();
        let at = |i: usize| input.fields.get(i).cloned().flatten();
        publish_to_hub(
            input.campaign,
            input.repo,
            Some(input.private.to_string()),
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
    });
    view! {
        <section class="panel hub-panel" aria-labelledby="hub-title">
            <h2 id="hub-title">"Publish to the Hugging Face Hub"</h2>
            <Transition fallback=|| ()>
                {move || {
                    let campaign = campaign.clone();
                    let kind = kind.clone();
                    Suspend::new(async move {
                        match status.await {
                            Ok(status) => view! {
                                <TokenLine status=status.clone() save forget />
                                <PublishForm status campaign kind ready publish />
                            }
                            .into_any(),
                            Err(error) => view! { <ErrorNotice error /> }.into_any(),
                        }
                    })
                }}
            </Transition>
        </section>
    }
}

/// Where the token comes from, and the form to save or forget one.
#[component]
fn TokenLine(
    status: HubStatusReply,
    save: Action<String, Result<HubStatusReply, ApiError>>,
    forget: Action<(), Result<HubStatusReply, ApiError>>,
) -> impl IntoView {
    let token = RwSignal::new(String::new());
    let error = move || {
        save.value()
            .get()
            .and_then(Result::err)
            .or_else(|| forget.value().get().and_then(Result::err))
            .map(|e| e.message)
    };
    let said = match status.token_source.as_str() {
        "env" => "Publishing with this server's HF_TOKEN secret.".to_string(),
        "saved" => format!(
            "Publishing with the saved token of {} (saved {}).",
            status.token_owner.clone().unwrap_or_default(),
            status
                .saved_at
                .as_deref()
                .and_then(|s| s.get(..10))
                .unwrap_or("")
        ),
        _ => "No token yet: paste a Hugging Face token with write access. It is checked \
              with the Hub, kept sealed on the server and never shown again."
            .to_string(),
    };
    let env = status.token_source == "env";
    let saved = status.token_source == "saved";
    view! {
        <p class="field-hint hub-token-source" data-source=status.token_source.clone()>{said}</p>
        {(!env).then(|| view! {
            <form class="token-form" on:submit=move |ev| {
                ev.prevent_default();
                save.dispatch(token.get_untracked());
                token.set(String::new());
            }>
                <label class="field"><span>{if saved { "Replace the token" } else { "Hugging Face token" }}</span>
                    <input type="password" name="hub_token" autocomplete="off" required
                        placeholder="hf_…" bind:value=token /></label>
                <button class="button" type="submit" disabled=move || save.pending().get()>
                    {move || if save.pending().get() { "Checking…" } else { "Save token" }}
                </button>
            </form>
        })}
        {saved.then(|| view! {
            <button class="button hub-forget" type="button" on:click=move |_| { forget.dispatch(()); }>
                "Forget the saved token"
            </button>
        })}
        {move || error().map(|message| view! { <p class="form-error" role="alert">{message}</p> })}
    }
}

#[component]
fn PublishForm(
    status: HubStatusReply,
    campaign: String,
    kind: String,
    ready: bool,
    publish: Action<PublishInput, Result<PublishReply, ApiError>>,
) -> impl IntoView {
    let suggested = status
        .token_owner
        .as_ref()
        .map(|owner| format!("{owner}/{campaign}-{kind}"))
        .unwrap_or_default();
    let repo = RwSignal::new(suggested);
    let private = RwSignal::new(true);
    let has_token = status.token_source != "none";
    let query = use_query_map();
    let submit = {
        let campaign = campaign.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            let query = query.get_untracked();
            publish.dispatch(PublishInput {
                campaign: campaign.clone(),
                repo: repo.get_untracked(),
                private: private.get_untracked(),
                fields: super::export::KEYS
                    .iter()
                    .map(|k| query.get(k).filter(|v| !v.is_empty()))
                    .collect(),
            });
        }
    };
    let result = move || {
        publish.value().get().map(|outcome| match outcome {
            Ok(reply) => view! { <PublishResult reply /> }.into_any(),
            Err(error) => {
                view! { <p class="export-problem" role="alert">{error.message}</p> }.into_any()
            }
        })
    };
    view! {
        <form class="export-form hub-form" on:submit=submit>
            <label class="export-field">
                <span>"Dataset repository (owner/name)"</span>
                <input type="text" name="repo" required autocapitalize="none" spellcheck="false"
                    pattern="[A-Za-z0-9][A-Za-z0-9._\\-]*/[A-Za-z0-9][A-Za-z0-9._\\-]*"
                    placeholder="your-name/haiku-kto" bind:value=repo />
            </label>
            <label class="check">
                <input type="checkbox" name="private" prop:checked=move || private.get()
                    on:change=move |ev| private.set(event_target_checked(&ev)) />
                <span>"Private (when the repository is new)"</span>
            </label>
            <button class="export-download hub-publish" type="submit"
                disabled=move || !ready || !has_token || publish.pending().get()>
                {move || if publish.pending().get() { "Publishing…" } else { "Publish this export" }}
            </button>
        </form>
        <div class="hub-result" aria-live="polite">{result}</div>
        {status.snapshot.map(|s| {
            let last = match (&s.last_at, &s.last_result) {
                (Some(at), Some(result)) => format!("Last: {} — {result}", at.get(..16).unwrap_or(at).replace('T', " ")),
                _ => "None taken yet.".to_string(),
            };
            view! {
                <p class="export-note hub-snapshot" data-ok=s.last_ok.to_string()>
                    {format!("Snapshots of every campaign go to {} every {} min. ", s.repo, s.every_minutes)}
                    {last}
                </p>
            }
        })}
    }
}

#[component]
fn PublishResult(reply: PublishReply) -> impl IntoView {
    match reply.commit_url {
        Some(commit) => view! {
            <p class="export-summary hub-done" role="status">
                {format!("Published {} rows to ", reply.rows)}
                <a href=reply.repo_url.clone() target="_blank" rel="noopener">{reply.repo.clone()}</a>
                {if reply.created { " (new repository)" } else { "" }}
                ": "
                <a href=commit target="_blank" rel="noopener">"see the commit"</a>
            </p>
        }
        .into_any(),
        None => view! {
            <p class="export-summary hub-done" role="status">
                <a href=reply.repo_url.clone() target="_blank" rel="noopener">{reply.repo.clone()}</a>
                " holds this data already: no new commit."
            </p>
        }
        .into_any(),
    }
}

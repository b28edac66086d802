//! The campaign page's Generate section: the models to ask (a form, or a `models.toml`
//! uploaded), start / pause / resume / retry the failures, live figures per model while a
//! run goes (over `/api/campaigns/{slug}/generate/events`), and what every run so far
//! recorded. API keys are the names of the server's environment variables, never keys.

use leptos::prelude::*;

use crate::api::{
    ApiError, GenerateReply, GenerationLine, ModelProgress, ModelRow, generate_status,
    pause_generation, save_generate_models, start_generation, upload_models_toml,
};

/// The section, from the status the campaign page loaded with the rest of the page.
/// `imported` is bumped by each import on the page, which changes the prompts to ask.
#[component]
pub fn GeneratePanel(reply: GenerateReply, imported: RwSignal<u32>) -> impl IntoView {
    view! {
        <section class="panel generate-panel" aria-labelledby="generate-title">
            <h2 id="generate-title">"Generate responses"</h2>
            <Generate reply imported />
        </section>
    }
}

type Reply = Result<GenerateReply, ApiError>;

#[component]
fn Generate(reply: GenerateReply, imported: RwSignal<u32>) -> impl IntoView {
    let slug = reply.campaign.clone();
    let current = RwSignal::new(reply);
    // After an import (not at first: effects run only in the browser, after hydration),
    // the status is asked again: the prompts changed.
    Effect::new({
        let slug = slug.clone();
        move |before: Option<u32>| {
            let now = imported.get();
            if before.is_some_and(|b| b != now) {
                let slug = slug.clone();
                leptos::task::spawn_local(async move {
                    if let Ok(reply) = generate_status(slug).await {
                        current.set(reply);
                    }
                });
            }
            now
        }
    });
    let progress = RwSignal::new(current.with_untracked(|r| r.progress.clone()));
    let problem = RwSignal::new(None::<String>);
    // Every action answers the whole section anew.
    let take = move |outcome: Reply| match outcome {
        Ok(reply) => {
            progress.set(reply.progress.clone());
            current.set(reply);
            problem.set(None);
        }
        Err(error) => problem.set(Some(error.message)),
    };
    let start =
        Action::new(|(slug, retry): &(String, bool)| start_generation(slug.clone(), *retry));
    let pause = Action::new(|slug: &String| pause_generation(slug.clone()));
    Effect::new(move |_| {
        if let Some(outcome) = start.value().get() {
            take(outcome);
        }
    });
    Effect::new(move |_| {
        if let Some(outcome) = pause.value().get() {
            take(outcome);
        }
    });
    #[cfg(feature = "hydrate")]
    live::follow(slug.clone(), progress, current);
    let state = move || progress.with(|p| p.state.clone());
    let has_models = move || current.with(|r| !r.models.is_empty());
    let has_prompts = move || current.with(|r| r.prompts > 0);
    let failed_before = move || current.with(|r| r.lines.iter().any(|l| l.failed > 0));
    let busy = move || start.pending().get() || pause.pending().get();
    let start_slug = slug.clone();
    let retry_slug = slug.clone();
    let pause_slug = slug.clone();
    view! {
        <p class="field-hint">{move || current.with(|r| format!(
            "{} prompts. Each model below answers every prompt ({}); what is done stays done.",
            r.prompts,
            if r.models.is_empty() { "no models yet".to_string() } else { format!("{} models", r.models.len()) },
        ))}</p>
        <div class="generate-state" data-state=state role="status">
            <span class="badge">{state}</span>
            {move || progress.with(|p| p.message.clone()).map(|m| view! { <span class="generate-message">{m}</span> })}
        </div>
        <ul class="generate-progress">
            {move || progress.with(|p| p.models.clone()).into_iter().map(|m| view! { <ProgressLine m /> }).collect_view()}
        </ul>
        <div class="generate-controls">
            {move || if state() == "running" {
                let slug = pause_slug.clone();
                view! {
                    <button class="button" type="button" disabled=busy on:click=move |_| { pause.dispatch(slug.clone()); }>"Pause"</button>
                }.into_any()
            } else {
                let slug = start_slug.clone();
                let retry = retry_slug.clone();
                view! {
                    <button class="button button-primary" type="button"
                        disabled=move || busy() || !has_models() || !has_prompts()
                        on:click=move |_| { start.dispatch((slug.clone(), false)); }>
                        {move || if state() == "paused" { "Resume" } else { "Start" }}
                    </button>
                    {move || failed_before().then(|| {
                        let retry = retry.clone();
                        view! {
                            <button class="button" type="button" disabled=busy
                                on:click=move |_| { start.dispatch((retry.clone(), true)); }>"Retry failed"</button>
                        }
                    })}
                }.into_any()
            }}
        </div>
        {move || problem.get().map(|p| view! { <p class="form-error" role="alert">{p}</p> })}
        <Lines current />
        <ModelsEditor slug current problem />
    }
}

#[component]
fn ProgressLine(m: ModelProgress) -> impl IntoView {
    let finished = m.done + m.failed;
    let percent = if m.asked == 0 {
        100.0
    } else {
        finished as f64 * 100.0 / m.asked as f64
    };
    // The pace and the time to go mean something only while there is work left.
    let pace = match (m.eta_secs, finished < m.asked) {
        (Some(s), true) if s >= 120 => format!(
            " · {:.0}/min · about {} min left",
            m.per_minute,
            s.div_ceil(60)
        ),
        (Some(s), true) => format!(" · {:.0}/min · about {s} s left", m.per_minute),
        _ => String::new(),
    };
    view! {
        <li class="generate-line" data-model=m.name.clone()>
            <span class="token-name">{m.name.clone()}</span>
            <progress max=m.asked.max(1) value=if m.asked == 0 { 1 } else { finished }
                aria-label=format!("{} progress", m.name)>{format!("{percent:.0}%")}</progress>
            <span class="token-meta">{format!(
                "{} of {} done · {} failed{pace}{}",
                m.done, m.asked, m.failed,
                if m.skipped > 0 { format!(" · {} there before", m.skipped) } else { String::new() },
            )}</span>
            {m.reasons.into_iter().map(|(reason, n)| view! { <span class="token-meta generate-reason">{format!("{n} × {reason}")}</span> }).collect_view()}
        </li>
    }
}

/// Per model: responses, and what every run so far recorded.
#[component]
fn Lines(current: RwSignal<GenerateReply>) -> impl IntoView {
    view! {
        <h3 class="generate-subtitle">"Responses per model"</h3>
        {move || {
            let lines: Vec<GenerationLine> = current.with(|r| r.lines.clone());
            if lines.is_empty() {
                view! { <p class="field-hint">"No responses yet: start a run, or import responses above."</p> }.into_any()
            } else {
                view! {
                    <ul class="token-list">
                        {lines.into_iter().map(|l| view! {
                            <li class="token-line" data-model=l.model.clone()>
                                <span class="token-name">{l.model.clone()}</span>
                                <span class="token-meta">{format!(
                                    "{} responses · generated: {} done, {} failed",
                                    l.responses, l.done, l.failed
                                )}</span>
                                {l.last_failure.map(|r| view! { <span class="token-meta">{format!("last failure: {r}")}</span> })}
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }
        }}
    }
}

fn blank_row() -> ModelRow {
    ModelRow {
        samples: 1,
        concurrency: 4,
        ..ModelRow::default()
    }
}

#[component]
fn ModelsEditor(
    slug: String,
    current: RwSignal<GenerateReply>,
    problem: RwSignal<Option<String>>,
) -> impl IntoView {
    let rows = RwSignal::new(current.with_untracked(|r| {
        if r.models.is_empty() {
            vec![blank_row()]
        } else {
            r.models.clone()
        }
    }));
    // The fields are drawn again only when a model is added or removed (or the models come
    // back from the server), so typing keeps its place; `prop:value` makes a redraw show the
    // new values even in fields that were typed in.
    let count = Memo::new(move |_| rows.with(Vec::len));
    let save = Action::new(|(slug, rows): &(String, Vec<ModelRow>)| {
        save_generate_models(slug.clone(), rows.clone())
    });
    let upload = Action::new(|(slug, toml): &(String, String)| {
        upload_models_toml(slug.clone(), toml.clone())
    });
    let saved = RwSignal::new(false);
    // Effects run only in the browser, once this has hydrated: until then a press on Save
    // would submit the form natively and reload the page, losing what was typed.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let apply = move |outcome: Reply| match outcome {
        Ok(reply) => {
            rows.set(reply.models.clone());
            current.set(reply);
            problem.set(None);
            saved.set(true);
        }
        Err(error) => {
            problem.set(Some(error.message));
            saved.set(false);
        }
    };
    Effect::new(move |_| {
        if let Some(outcome) = save.value().get() {
            apply(outcome);
        }
    });
    Effect::new(move |_| {
        if let Some(outcome) = upload.value().get() {
            apply(outcome);
        }
    });
    let submit = {
        let slug = slug.clone();
        move |ev: leptos::ev::SubmitEvent| {
            ev.prevent_default();
            save.dispatch((slug.clone(), rows.get_untracked()));
        }
    };
    let file = NodeRef::<leptos::html::Input>::new();
    let on_file = {
        let slug = slug.clone();
        move |_| {
            #[cfg(feature = "hydrate")]
            {
                let Some(chosen) = file.get().and_then(|el| el.files()).and_then(|f| f.get(0))
                else {
                    return;
                };
                let slug = slug.clone();
                leptos::task::spawn_local(async move {
                    match read_text(chosen).await {
                        Ok(toml) => {
                            upload.dispatch((slug, toml));
                        }
                        Err(e) => problem.set(Some(e)),
                    }
                });
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = (&slug, file, upload);
        }
    };
    let toml = move || current.with(|r| r.models_toml.clone());
    view! {
        <details class="generate-models" open=current.with_untracked(|r| r.models.is_empty())>
            <summary>{move || current.with(|r| format!("Models ({})", r.models.len()))}</summary>
            <form class="account-form" on:submit=submit on:input=move |_| saved.set(false)>
                {move || (0..count.get()).map(|i| view! { <ModelFields rows i /> }).collect_view()}
                <button class="button" type="button" on:click=move |_| rows.update(|r| r.push(blank_row()))>"Add a model"</button>
                <p class="field-hint">"API keys: give the name of an environment variable on the server (a Space secret such as HF_TOKEN), never the key."</p>
                <button class="button button-primary" type="submit" disabled=move || !hydrated.get() || save.pending().get()>"Save models"</button>
                {move || saved.get().then(|| view! { <p class="form-ok" role="status">"Models saved."</p> })}
            </form>
            <label class="field"><span>"Or upload a models.toml"</span>
                <input type="file" accept=".toml,text/plain" node_ref=file on:change=on_file /></label>
            {move || (!toml().is_empty()).then(|| view! {
                <details class="generate-toml"><summary>"As models.toml"</summary><pre>{toml}</pre></details>
            })}
        </details>
    }
}

/// One model's fields, editing row `i` of `rows`.
#[component]
fn ModelFields(rows: RwSignal<Vec<ModelRow>>, i: usize) -> impl IntoView {
    let get = move |f: fn(&ModelRow) -> String| {
        rows.with_untracked(|r| r.get(i).map(f).unwrap_or_default())
    };
    let set = move |f: fn(&mut ModelRow, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            rows.update(|r| {
                if let Some(row) = r.get_mut(i) {
                    f(row, value);
                }
            });
        }
    };
    let key_note = move || {
        rows.with(|r| r.get(i).map(|row| (row.api_key_env.clone(), row.key_set)))
            .filter(|(env, _)| !env.is_empty())
            .map(|(env, set)| {
                if set {
                    format!("${env} is set on the server")
                } else {
                    format!("${env} is not set on the server yet")
                }
            })
    };
    view! {
        <fieldset class="generate-model">
            <legend>{move || rows.with(|r| r.get(i).map(|m| m.name.clone()).filter(|n| !n.is_empty())).unwrap_or_else(|| format!("Model {}", i + 1))}</legend>
            <label class="field"><span>"Name (on the leaderboard)"</span>
                <input type="text" required value=get(|m| m.name.clone()) prop:value=get(|m| m.name.clone()) on:input=set(|m, v| m.name = v) /></label>
            <label class="field"><span>"Base URL (OpenAI-compatible)"</span>
                <input type="url" required placeholder="https://router.huggingface.co/v1" autocapitalize="none" spellcheck="false"
                    value=get(|m| m.base_url.clone()) prop:value=get(|m| m.base_url.clone()) on:input=set(|m, v| m.base_url = v) /></label>
            <label class="field"><span>"Model id"</span>
                <input type="text" required autocapitalize="none" spellcheck="false" value=get(|m| m.model.clone()) prop:value=get(|m| m.model.clone()) on:input=set(|m, v| m.model = v) /></label>
            <label class="field"><span>"API key variable (optional)"</span>
                <input type="text" placeholder="HF_TOKEN" autocapitalize="characters" spellcheck="false" pattern="[A-Za-z0-9_]*"
                    value=get(|m| m.api_key_env.clone()) prop:value=get(|m| m.api_key_env.clone()) on:input=set(|m, v| m.api_key_env = v) /></label>
            {move || key_note().map(|n| view! { <p class="field-hint">{n}</p> })}
            <div class="generate-numbers">
                <label class="field"><span>"Temperature"</span>
                    <input type="number" step="0.1" min="0" max="2" inputmode="decimal"
                        value=get(|m| m.temperature.map(|t| t.to_string()).unwrap_or_default()) prop:value=get(|m| m.temperature.map(|t| t.to_string()).unwrap_or_default())
                        on:input=set(|m, v| m.temperature = v.trim().parse().ok()) /></label>
                <label class="field"><span>"Max tokens"</span>
                    <input type="number" min="1" inputmode="numeric"
                        value=get(|m| m.max_tokens.map(|t| t.to_string()).unwrap_or_default()) prop:value=get(|m| m.max_tokens.map(|t| t.to_string()).unwrap_or_default())
                        on:input=set(|m, v| m.max_tokens = v.trim().parse().ok()) /></label>
                <label class="field"><span>"Samples per prompt"</span>
                    <input type="number" min="1" required inputmode="numeric" value=get(|m| m.samples.to_string()) prop:value=get(|m| m.samples.to_string())
                        on:input=set(|m, v| m.samples = v.trim().parse().unwrap_or(0)) /></label>
                <label class="field"><span>"Requests at once"</span>
                    <input type="number" min="1" required inputmode="numeric" value=get(|m| m.concurrency.to_string()) prop:value=get(|m| m.concurrency.to_string())
                        on:input=set(|m, v| m.concurrency = v.trim().parse().unwrap_or(0)) /></label>
            </div>
            <button class="button generate-remove" type="button" on:click=move |_| rows.update(|r| { if i < r.len() { r.remove(i); } })>
                "Remove this model"
            </button>
        </fieldset>
    }
}

/// A chosen file's text.
#[cfg(feature = "hydrate")]
async fn read_text(file: web_sys::File) -> Result<String, String> {
    let text = wasm_bindgen_futures::JsFuture::from(file.text())
        .await
        .map_err(|_| "the file could not be read".to_string())?;
    text.as_string()
        .ok_or_else(|| "the file is not text".to_string())
}

#[cfg(feature = "hydrate")]
mod live {
    use futures::StreamExt;
    use gloo_net::eventsource::futures::EventSource;
    use leptos::prelude::*;

    use crate::api::{GenerateProgress, GenerateReply, generate_status};
    use crate::browser;

    /// After the browser gave up on the stream, open a new one this much later.
    const RETRY_MS: u32 = 3_000;

    /// Keeps `progress` equal to the server's; when a run ends, reloads the section's
    /// totals.
    pub fn follow(
        slug: String,
        progress: RwSignal<GenerateProgress>,
        current: RwSignal<GenerateReply>,
    ) {
        leptos::task::spawn_local(async move {
            let url = format!("/api/campaigns/{slug}/generate/events");
            loop {
                if let Ok(mut source) = EventSource::new(&url)
                    && let Ok(mut events) = source.subscribe("generate")
                {
                    while let Some(Ok((_, message))) = events.next().await {
                        let Some(next) = message
                            .data()
                            .as_string()
                            .and_then(|json| serde_json::from_str::<GenerateProgress>(&json).ok())
                        else {
                            continue;
                        };
                        let Some(before) = progress.try_with_untracked(|p| p.state.clone()) else {
                            return; // the page is gone
                        };
                        let ended = before == "running" && next.state != "running";
                        progress.set(next);
                        if ended && let Ok(reply) = generate_status(slug.clone()).await {
                            current.set(reply);
                        }
                    }
                    drop(source);
                }
                if progress.try_with_untracked(|_| ()).is_none() {
                    return;
                }
                browser::sleep(RETRY_MS).await;
            }
        });
    }
}

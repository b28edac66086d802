//! The campaign's guidelines: shown on a person's first visit to a campaign and behind the
//! ⓘ button. Shown as plain text (escaped), line breaks kept.

use leptos::prelude::*;

use crate::api::CampaignInfo;

#[component]
pub fn GuidelinesButton(open: RwSignal<bool>) -> impl IntoView {
    view! {
        <button
            class="icon-button"
            type="button"
            aria-label="Guidelines: how to rate"
            aria-haspopup="dialog"
            on:click=move |_| open.set(true)
        >
            <span class="icon-i" aria-hidden="true">"i"</span>
        </button>
    }
}

#[component]
pub fn GuidelinesSheet(campaign: CampaignInfo, open: RwSignal<bool>) -> impl IntoView {
    let key = StoredValue::new(campaign_key(&campaign.slug));
    let close = move || {
        open.set(false);
        key.with_value(|key| remember_seen(key));
    };
    let html = if campaign.guidelines.trim().is_empty() {
        "<p>Swipe right (or 👍) if the response is good, left (or 👎) if it is not. Skip when you can't tell.</p>".to_string()
    } else {
        // Made safe on the server (`api::markdown`): no raw HTML, no script links.
        campaign.guidelines_html.clone()
    };
    let title = campaign.title.clone();
    // Escape closes the sheet wherever the focus is; opening it moves the focus into it.
    #[cfg(feature = "hydrate")]
    {
        let escape = window_event_listener(leptos::ev::keydown, move |event| {
            if open.get_untracked() && event.key() == "Escape" {
                close();
            }
        });
        on_cleanup(move || escape.remove());
    }
    let close_button = NodeRef::<leptos::html::Button>::new();
    Effect::new(move |_| {
        if open.get()
            && let Some(button) = close_button.get()
        {
            let _ = button.focus();
        }
    });
    view! {
        <Show when=move || open.get()>
            <div class="sheet-backdrop" on:click=move |_| close()>
                <section
                    class="sheet"
                    role="dialog"
                    aria-modal="true"
                    aria-labelledby="guidelines-title"
                    on:click=|event| event.stop_propagation()
                >
                    <p class="sheet-kicker">{title.clone()}</p>
                    <h2 id="guidelines-title">"How to rate"</h2>
                    <div class="guidelines-text" inner_html=html.clone()></div>
                    <ul class="gesture-help">
                        <li><span aria-hidden="true">"👉"</span>" swipe right or → for 👍"</li>
                        <li><span aria-hidden="true">"👈"</span>" swipe left or ← for 👎"</li>
                        <li><span aria-hidden="true">"⏭"</span>" Skip or ↓ when you can't tell; Backspace undoes"</li>
                    </ul>
                    <button class="sheet-close" type="button" node_ref=close_button on:click=move |_| close()>
                        "Start rating"
                    </button>
                </section>
            </div>
        </Show>
    }
}

/// The localStorage key that remembers a campaign's guidelines were seen.
pub fn campaign_key(slug: &str) -> String {
    format!("swipeset.guidelines-seen.{slug}")
}

/// Whether this browser has seen the guidelines under `key` (always "yes" off the browser).
pub fn was_seen(key: &str) -> bool {
    !cfg!(feature = "hydrate") || crate::browser::load(key).is_some()
}

fn remember_seen(key: &str) {
    crate::browser::save(key, Some("1"));
}

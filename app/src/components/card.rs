//! The rating card: the prompt, the response, and the 👍 / 👎 buttons. Model output is
//! untrusted, so it is only ever inserted as text (Leptos escapes it), never as HTML.

use leptos::prelude::*;

use crate::api::{Card, Label};

#[component]
pub fn RatingCard(
    card: Card,
    /// Called with the generation id and the verdict.
    on_rate: Callback<(i32, Label)>,
    /// True while a rating is on its way: the buttons wait for it.
    #[prop(into)]
    busy: Signal<bool>,
) -> impl IntoView {
    let id = card.generation_id;
    view! {
        <article class="card" data-generation-id=id aria-label="Response to rate">
            <section class="card-prompt">
                <h2 class="card-label">"Prompt"</h2>
                {card.system_prompt.map(|system| view! { <p class="card-system">{system}</p> })}
                <p class="card-prompt-text">{card.prompt}</p>
            </section>
            <section class="card-response">
                <h2 class="card-label">"Response"</h2>
                <div class="card-response-text">{card.response}</div>
            </section>
        </article>
        <div class="vote-bar">
            <button
                class="vote vote-down"
                type="button"
                aria-label="Thumbs down: reject this response"
                disabled=move || busy.get()
                on:click=move |_| on_rate.run((id, Label::Down))
            >
                <span aria-hidden="true">"👎"</span>
            </button>
            <button
                class="vote vote-up"
                type="button"
                aria-label="Thumbs up: accept this response"
                disabled=move || busy.get()
                on:click=move |_| on_rate.run((id, Label::Up))
            >
                <span aria-hidden="true">"👍"</span>
            </button>
        </div>
    }
}

//! The rating card and the buttons under it. The card follows the finger (pointer events
//! through leptos-use's `use_draggable`), tilts, tints green or red past the threshold,
//! and commits on distance or on a quick flick; below that it snaps back. Model output is
//! untrusted, so it is only ever inserted as text (Leptos escapes it), never as HTML.

use leptos::either::Either;
use leptos::html::Article;
use leptos::prelude::*;
#[cfg(feature = "hydrate")]
use leptos_use::{
    UseDraggableOptions, UseEventListenerOptions, use_draggable_with_options,
    use_event_listener_with_options,
};

use crate::api::{Card, Label};
use crate::deck::Verdict;

/// How far (px) a card must travel to count as a swipe.
pub const SWIPE_DISTANCE: f64 = 110.0;
/// A flick this fast (px/ms) counts even if it is short...
const FLICK_SPEED: f64 = 0.6;
/// ...as long as it travelled at least this far (px).
const FLICK_MIN_DISTANCE: f64 = 40.0;

/// What a finished drag means.
pub fn verdict_of_drag(dx: f64, velocity_x: f64) -> Option<Verdict> {
    let flick = velocity_x.abs() >= FLICK_SPEED
        && dx.abs() >= FLICK_MIN_DISTANCE
        && dx.signum() == velocity_x.signum();
    if dx >= SWIPE_DISTANCE || (flick && dx > 0.0) {
        Some(Verdict::Rate(Label::Up))
    } else if dx <= -SWIPE_DISTANCE || (flick && dx < 0.0) {
        Some(Verdict::Rate(Label::Down))
    } else {
        None
    }
}

#[component]
pub fn SwipeCard(card: Card, on_decide: Callback<Verdict>) -> impl IntoView {
    let node = NodeRef::<Article>::new();
    // (dx, dy) of the drag in progress; (0, 0) when at rest.
    let offset = RwSignal::new((0.0f64, 0.0f64));
    #[cfg(feature = "hydrate")]
    follow_pointer(node, offset, on_decide);
    #[cfg(not(feature = "hydrate"))]
    let _ = (node, on_decide);

    let style = move || {
        let (dx, dy) = offset.get();
        if dx == 0.0 && dy == 0.0 {
            String::new()
        } else {
            format!(
                "transform: translate({dx:.0}px, {:.0}px) rotate({:.1}deg)",
                dy * 0.2,
                dx / 18.0
            )
        }
    };
    let leaning = move || {
        let dx = offset.get().0;
        if dx >= SWIPE_DISTANCE {
            "card card-accept"
        } else if dx <= -SWIPE_DISTANCE {
            "card card-reject"
        } else if offset.get() != (0.0, 0.0) {
            "card card-dragging"
        } else {
            "card"
        }
    };
    let tint = move || {
        format!(
            "opacity: {:.2}",
            (offset.get().0.abs() / SWIPE_DISTANCE).min(1.0) * 0.9
        )
    };

    view! {
        <article
            node_ref=node
            class=leaning
            style=style
            data-response-id=card.response_id
            aria-label="Response to rate: swipe right to accept, left to reject"
            tabindex="0"
        >
            <div class="card-tint" aria-hidden="true" style=tint>
                <span class="card-tint-up">"👍"</span>
                <span class="card-tint-down">"👎"</span>
            </div>
            <section class="card-prompt">
                // Flagging is a page of its own (`pages::flag`): a link here costs the
                // rater bundle next to nothing, where a menu would not.
                <a class="card-flag" href=format!("/flag?response={}", card.response_id)
                    aria-label="Report this card (broken, harmful, reveals the model)">"⚑"</a>
                <h2 class="card-label">"Prompt"</h2>
                {card.system_prompt.map(|system| view! { <p class="card-system">{system}</p> })}
                // A conversation's earlier turns, folded: HTML the server made
                // (`swipeset_core::campaign::markdown::history_html`).
                {card.history_html.map(|html| view! { <div inner_html=html></div> })}
                {match card.prompt_html {
                    // Made safe on the server (`swipeset_core::campaign::markdown`).
                    Some(html) => Either::Left(view! { <div class="card-prompt-text md" inner_html=html></div> }),
                    None => Either::Right(view! { <p class="card-prompt-text">{card.prompt}</p> }),
                }}
            </section>
            // Focusable, so a long response that scrolls inside the card can be scrolled
            // from the keyboard (↑ ↓ once focused) as well as by touch.
            <section class="card-response" tabindex="0" aria-label="Response">
                <h2 class="card-label">"Response"</h2>
                {match card.response_html {
                    Some(html) => Either::Left(view! { <div class="card-response-text md" inner_html=html></div> }),
                    None => Either::Right(view! { <div class="card-response-text">{card.response}</div> }),
                }}
            </section>
        </article>
    }
}

/// Moves the card with the pointer and decides when it is let go. Only in the browser: on
/// the server there is nothing to drag, and leptos-use's listeners must not be created (or
/// dropped) on the server's worker threads.
#[cfg(feature = "hydrate")]
fn follow_pointer(
    node: NodeRef<Article>,
    offset: RwSignal<(f64, f64)>,
    on_decide: Callback<Verdict>,
) {
    claim_sideways_touches(node);
    // (x, time) of the previous move and the horizontal speed, for flicks.
    let motion = StoredValue::new((0.0f64, 0.0f64, 0.0f64));
    use_draggable_with_options(
        node,
        UseDraggableOptions::default()
            .target_offset(|_| (0.0, 0.0))
            .prevent_default(true)
            .on_start(move |args| {
                offset.set((0.0, 0.0));
                motion.set_value((0.0, args.event.time_stamp(), 0.0));
                true
            })
            .on_move(move |args| {
                let (x, y) = (args.position.x, args.position.y);
                let now = args.event.time_stamp();
                motion.update_value(|(last_x, last_t, speed)| {
                    let dt = now - *last_t;
                    if dt > 0.0 {
                        *speed = (x - *last_x) / dt;
                    }
                    *last_x = x;
                    *last_t = now;
                });
                offset.set((x, y));
            })
            .on_end(move |args| {
                let speed = motion.with_value(|(_, _, speed)| *speed);
                offset.set((0.0, 0.0));
                if let Some(verdict) = verdict_of_drag(args.position.x, speed) {
                    on_decide.run(verdict);
                }
            }),
    );
}

/// Keeps a sideways touch gesture for the card: without this the browser takes it over
/// (cancelling the pointer stream) or even reads a swipe right as "go back a page".
/// Vertical gestures are left alone, so a long response still scrolls.
#[cfg(feature = "hydrate")]
fn claim_sideways_touches(node: NodeRef<Article>) {
    let start = StoredValue::new((0.0f64, 0.0f64));
    let first_touch = |event: &web_sys::TouchEvent| {
        event
            .touches()
            .get(0)
            .map(|t| (f64::from(t.client_x()), f64::from(t.client_y())))
    };
    let _ = use_event_listener_with_options(
        node,
        leptos::ev::touchstart,
        move |event| {
            if let Some(point) = first_touch(&event) {
                start.set_value(point);
            }
        },
        UseEventListenerOptions::default().passive(true),
    );
    let _ = use_event_listener_with_options(
        node,
        leptos::ev::touchmove,
        move |event| {
            if let Some((x, y)) = first_touch(&event) {
                let (x0, y0) = start.get_value();
                if (x - x0).abs() > (y - y0).abs() && event.cancelable() {
                    event.prevent_default();
                }
            }
        },
        UseEventListenerOptions::default().passive(false),
    );
}

/// 👎, skip and 👍 at thumb reach, for people who do not swipe.
#[component]
pub fn VoteBar(
    on_decide: Callback<Verdict>,
    #[prop(into)] disabled: Signal<bool>,
) -> impl IntoView {
    view! {
        <div class="vote-bar">
            <button
                class="vote vote-down"
                type="button"
                aria-label="Thumbs down: reject this response"
                aria-keyshortcuts="ArrowLeft"
                disabled=move || disabled.get()
                on:click=move |_| on_decide.run(Verdict::Rate(Label::Down))
            >
                <span aria-hidden="true">"👎"</span>
            </button>
            <button
                class="vote vote-skip"
                type="button"
                aria-label="Skip: neither, show me another"
                aria-keyshortcuts="ArrowDown"
                disabled=move || disabled.get()
                on:click=move |_| on_decide.run(Verdict::Skip)
            >
                "Skip"
            </button>
            <button
                class="vote vote-up"
                type="button"
                aria-label="Thumbs up: accept this response"
                aria-keyshortcuts="ArrowRight"
                disabled=move || disabled.get()
                on:click=move |_| on_decide.run(Verdict::Rate(Label::Up))
            >
                <span aria-hidden="true">"👍"</span>
            </button>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distance_or_a_flick_commits_and_a_short_drag_does_not() {
        assert_eq!(verdict_of_drag(150.0, 0.1), Some(Verdict::Rate(Label::Up)));
        assert_eq!(
            verdict_of_drag(-150.0, 0.0),
            Some(Verdict::Rate(Label::Down))
        );
        assert_eq!(
            verdict_of_drag(60.0, 1.2),
            Some(Verdict::Rate(Label::Up)),
            "a flick"
        );
        assert_eq!(
            verdict_of_drag(-60.0, -1.0),
            Some(Verdict::Rate(Label::Down))
        );
        assert_eq!(verdict_of_drag(60.0, 0.1), None, "too short, too slow");
        assert_eq!(verdict_of_drag(20.0, 2.0), None, "a twitch");
        assert_eq!(verdict_of_drag(60.0, -1.0), None, "flicked back");
    }
}

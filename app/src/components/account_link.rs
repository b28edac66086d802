//! The round account button at the right of every top bar: "Sign in" for visitors, the
//! profile for someone signed in.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::me;

#[component]
pub fn AccountLink() -> impl IntoView {
    let who = Resource::new(|| (), |_| me());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match who.await.ok().and_then(|m| m.user) {
                    Some(user) if !user.guest => {
                        let initial = user.name.chars().next().unwrap_or('?').to_uppercase().to_string();
                        Either::Left(view! {
                            <a class="icon-button account-button" href="/profile"
                                aria-label=format!("Your profile ({})", user.name)
                                title=user.name.clone()>{initial}</a>
                        })
                    }
                    _ => Either::Right(view! {
                        <a class="icon-button account-button" href="/login" aria-label="Sign in" title="Sign in">
                            <svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true" fill="currentColor">
                                <circle cx="12" cy="8" r="4" />
                                <path d="M4 20c0-4.4 3.6-7 8-7s8 2.6 8 7z" />
                            </svg>
                        </a>
                    }),
                }
            })}
        </Transition>
    }
}

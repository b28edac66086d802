//! The round account button at the right of every top bar: "Sign in" for visitors, the
//! profile for someone signed in.

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
                        view! {
                            <a class="icon-button account-button" href="/profile"
                                aria-label=format!("Your profile ({})", user.name)
                                title=user.name.clone()>{initial}</a>
                        }.into_any()
                    }
                    _ => view! {
                        <a class="topbar-link account-sign-in" href="/login">"Sign in"</a>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

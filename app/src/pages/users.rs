//! `/admin/users`: every account, its role and state; an admin promotes, demotes, disables
//! and re-enables here. A disabled user's next request is refused.

use leptos::prelude::*;

use crate::api::{ApiError, UserLine, set_user_disabled, set_user_role, users};
use crate::browser;
use crate::components::notices::{ErrorNotice, InstanceNotices};

#[component]
pub fn UsersPage() -> impl IntoView {
    let set_role = Action::new(|(id, role): &(i32, String)| set_user_role(*id, role.clone()));
    let set_disabled = Action::new(|(id, off): &(i32, bool)| set_user_disabled(*id, *off));
    let list = Resource::new(
        move || (set_role.version().get(), set_disabled.version().get()),
        |_| users(),
    );
    let failure = move || {
        set_role
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| set_disabled.value().get().and_then(Result::err))
            .map(|e: ApiError| e.message)
    };
    view! {
        <main class="screen account-screen">
            <header class="topbar">
                <a class="brand" href="/">"swipeset"</a>
                <span class="topbar-campaign">"Users"</span>
                <a class="topbar-link" href="/profile">"Profile"</a>
            </header>
            <InstanceNotices />
            <h1 class="account-title">"Users"</h1>
            <p class="form-error" role="alert">{failure}</p>
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match list.await {
                        Ok(lines) => view! {
                            <p class="field-hint">{format!("{} accounts. Guests who rate without an account are not listed.", lines.len())}</p>
                            <ul class="user-list">
                                {lines.into_iter().map(|u| view! { <UserItem u set_role set_disabled /> }).collect_view()}
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
fn UserItem(
    u: UserLine,
    set_role: Action<(i32, String), Result<(), ApiError>>,
    set_disabled: Action<(i32, bool), Result<(), ApiError>>,
) -> impl IntoView {
    let id = u.id;
    let disabled = u.disabled;
    let last = u
        .last_sign_in_at
        .as_deref()
        .map(|t| format!("last sign-in {}", t.get(..10).unwrap_or(t)))
        .unwrap_or_else(|| "never signed in".to_string());
    let name = u.name.clone();
    view! {
        <li class="user-line" class:user-disabled=disabled data-user=u.name.clone()>
            <div class="user-head">
                <strong class="user-name">{u.name.clone()}</strong>
                {disabled.then(|| view! { <span class="badge badge-off">"disabled"</span> })}
            </div>
            <p class="user-meta">{format!("{} ratings · {} · {last}", u.ratings, u.sign_in)}</p>
            <div class="user-actions">
                <label class="field field-inline">
                    <span>"Role"</span>
                    <select aria-label=format!("Role of {name}") on:change=move |ev| {
                        set_role.dispatch((id, event_target_value(&ev)));
                    }>
                        <option value="annotator" selected=u.role == "annotator">"annotator"</option>
                        <option value="admin" selected=u.role == "admin">"admin"</option>
                    </select>
                </label>
                <button class="button button-small" type="button"
                    aria-label=format!("{} {}", if disabled { "Enable" } else { "Disable" }, u.name)
                    on:click=move |_| { set_disabled.dispatch((id, !disabled)); }>
                    {if disabled { "Enable" } else { "Disable" }}
                </button>
            </div>
        </li>
    }
}

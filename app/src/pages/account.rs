//! `/login`, `/signup` and `/profile`: signing in (with a password or the OpenID provider),
//! making an account where the instance allows it, and the profile: name shown, password,
//! API tokens, signing out.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::{
    ApiError, MeReply, NewToken, TokenLine, change_password, create_token, me, revoke_token,
    safe_next, set_show_name, sign_in, sign_out, sign_up, tokens,
};
use crate::browser;
use crate::components::notices::ErrorNotice;

/// After signing in or out, a full page load: every page renders again for the new user.
fn go_to(href: &str) {
    browser::go_to(href);
}

fn topbar(title: &'static str) -> impl IntoView {
    view! {
        <header class="topbar">
            <a class="brand" href="/">"swipeset"</a>
            <span class="topbar-campaign">{title}</span>
            <a class="topbar-link" href="/leaderboard">"Leaderboard"</a>
        </header>
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    SignIn,
    SignUp,
}

#[component]
pub fn LoginPage() -> impl IntoView {
    view! { <CredentialsPage mode=Mode::SignIn /> }
}

#[component]
pub fn SignupPage() -> impl IntoView {
    view! { <CredentialsPage mode=Mode::SignUp /> }
}

#[component]
fn CredentialsPage(mode: Mode) -> impl IntoView {
    let query = use_query_map();
    let next = Memo::new(move |_| safe_next(query.read().get("next").as_deref()).to_string());
    let settings = Resource::new(|| (), |_| me());
    view! {
        <main class="screen account-screen">
            {topbar(if mode == Mode::SignIn { "Sign in" } else { "Sign up" })}
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match settings.await {
                        Ok(reply) => view! { <CredentialsForm mode reply next /> }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn CredentialsForm(mode: Mode, reply: MeReply, next: Memo<String>) -> impl IntoView {
    let query = use_query_map();
    let name = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let submit = Action::new(move |(name, password): &(String, String)| {
        let (name, password) = (name.clone(), password.clone());
        async move {
            match mode {
                Mode::SignIn => sign_in(name, password).await,
                Mode::SignUp => sign_up(name, password).await,
            }
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(_)) = submit.value().get() {
            go_to(&next.get_untracked());
        }
    });
    let error = move || {
        submit
            .value()
            .get()
            .and_then(Result::err)
            .map(|e: ApiError| e.message)
            .or_else(|| query.read().get("error"))
    };
    let signed_in_as = reply.user.as_ref().filter(|u| !u.guest).map(|u| {
        view! {
            <p class="account-note">
                "You are signed in as " <strong>{u.name.clone()}</strong> ". "
                <a href="/profile">"Your profile"</a>
            </p>
        }
    });
    let oidc = reply.oidc.clone().map(|label| {
        let href = move || {
            format!(
                "/login/oidc?next={}",
                browser::encode_component(&next.get())
            )
        };
        view! {
            <a class="button button-oidc" href=href rel="external">{format!("Sign in with {label}")}</a>
            <p class="account-or" aria-hidden="true">"or"</p>
        }
    });
    let other = match mode {
        Mode::SignIn if reply.open_registration => Some(view! {
            <p class="account-switch">"New here? " <a href=move || format!("/signup?next={}", browser::encode_component(&next.get()))>"Make an account"</a></p>
        }.into_any()),
        Mode::SignUp => Some(view! {
            <p class="account-switch">"Have an account? " <a href=move || format!("/login?next={}", browser::encode_component(&next.get()))>"Sign in"</a></p>
        }.into_any()),
        _ => None,
    };
    let guests = reply.guests.then(|| view! {
        <p class="account-switch">"Or " <a href="/">"rate as a guest"</a> " without an account."</p>
    });
    let closed = (mode == Mode::SignUp && !reply.open_registration).then(|| {
        view! {
            <section class="notice" role="status">
                <h2>"Sign-ups are closed"</h2>
                <p>"This instance makes accounts by invitation: ask an admin for one."</p>
            </section>
        }
    });
    let open = mode == Mode::SignIn || reply.open_registration;
    view! {
        <h1 class="account-title">{if mode == Mode::SignIn { "Sign in" } else { "Make an account" }}</h1>
        {signed_in_as}
        {closed}
        <Show when=move || open>
            {oidc.clone()}
            <form class="account-form" on:submit=move |ev| {
                ev.prevent_default();
                submit.dispatch((name.get_untracked(), password.get_untracked()));
            }>
                <label class="field">
                    <span>"Name"</span>
                    <input type="text" name="name" required autocomplete="username"
                        autocapitalize="none" spellcheck="false" bind:value=name />
                </label>
                <label class="field">
                    <span>"Password"</span>
                    <input type="password" name="password" required
                        minlength=if mode == Mode::SignUp { "8" } else { "1" }
                        autocomplete=if mode == Mode::SignIn { "current-password" } else { "new-password" }
                        bind:value=password />
                    {(mode == Mode::SignUp).then(|| view! { <small class="field-hint">"At least 8 characters."</small> })}
                </label>
                <p class="form-error" role="alert">{error}</p>
                <button class="button button-primary" type="submit" disabled=move || submit.pending().get()>
                    {move || match (mode, submit.pending().get()) {
                        (_, true) => "One moment…",
                        (Mode::SignIn, false) => "Sign in",
                        (Mode::SignUp, false) => "Make my account",
                    }}
                </button>
            </form>
        </Show>
        {other}
        {guests}
    }
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let who = Resource::new(|| (), |_| me());
    view! {
        <main class="screen account-screen">
            {topbar("Profile")}
            <Transition fallback=|| view! { <p class="board-loading" aria-busy="true">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    browser::mark_hydrated();
                    match who.await {
                        Ok(MeReply { user: Some(user), .. }) if !user.guest => view! { <Profile user /> }.into_any(),
                        Ok(_) => view! {
                            <ErrorNotice error=ApiError::new(crate::api::ErrorCode::Unauthorized, "sign in to see your profile") />
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </main>
    }
}

#[component]
fn Profile(user: crate::api::MeUser) -> impl IntoView {
    let leave = Action::new(|_: &()| sign_out());
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.value().get() {
            // Undelivered decisions stay with whoever made them: none is sent later under
            // the name of the next person to use this browser.
            crate::deck::forget_saved();
            go_to("/login");
        }
    });
    let show = RwSignal::new(user.show_name);
    let save_show = Action::new(|show: &bool| set_show_name(*show));
    let admin = (user.role == "admin").then(|| {
        view! {
            <p><a class="notice-link" href="/admin/users">"Manage users"</a></p>
        }
    });
    view! {
        <h1 class="account-title">{user.name.clone()}</h1>
        <p class="account-note">{format!("Signed in as {} ({}).", user.name, user.role)}</p>
        {admin}
        <section class="panel">
            <h2>"On the leaderboard"</h2>
            <label class="check">
                <input type="checkbox" prop:checked=move || show.get() on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    show.set(on);
                    save_show.dispatch(on);
                } />
                <span>"Show my name on the contributors board (otherwise a pseudonym)"</span>
            </label>
        </section>
        {user.has_password.then(|| view! { <PasswordPanel /> })}
        <TokensPanel />
        <section class="panel">
            <button class="button" type="button" on:click=move |_| { leave.dispatch(()); }>"Sign out"</button>
        </section>
    }
}

#[component]
fn PasswordPanel() -> impl IntoView {
    let current = RwSignal::new(String::new());
    let new = RwSignal::new(String::new());
    let change = Action::new(|(c, n): &(String, String)| change_password(c.clone(), n.clone()));
    let outcome = move || match change.value().get() {
        Some(Ok(())) => Some((
            "form-ok",
            "Password changed. Your other sessions have ended.".to_string(),
        )),
        Some(Err(e)) => Some(("form-error", e.message)),
        None => None,
    };
    view! {
        <section class="panel">
            <h2>"Password"</h2>
            <form class="account-form" on:submit=move |ev| {
                ev.prevent_default();
                change.dispatch((current.get_untracked(), new.get_untracked()));
            }>
                <label class="field"><span>"Current password"</span>
                    <input type="password" required autocomplete="current-password" bind:value=current /></label>
                <label class="field"><span>"New password"</span>
                    <input type="password" required minlength="8" autocomplete="new-password" bind:value=new /></label>
                <p class=move || outcome().map(|o| o.0).unwrap_or("form-error") role="status">{move || outcome().map(|o| o.1)}</p>
                <button class="button" type="submit" disabled=move || change.pending().get()>"Change password"</button>
            </form>
        </section>
    }
}

#[component]
fn TokensPanel() -> impl IntoView {
    let made = RwSignal::new(None::<NewToken>);
    let name = RwSignal::new(String::new());
    let create = Action::new(|name: &String| create_token(name.clone()));
    let revoke = Action::new(|id: &i32| revoke_token(*id));
    let list = Resource::new(
        move || (create.version().get(), revoke.version().get()),
        |_| tokens(),
    );
    Effect::new(move |_| {
        if let Some(Ok(token)) = create.value().get() {
            made.set(Some(token));
            name.set(String::new());
        }
    });
    let create_error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .map(|e| e.message)
    };
    view! {
        <section class="panel">
            <h2>"API tokens"</h2>
            <p class="field-hint">"For scripts: send " <code>"Authorization: Bearer <token>"</code> " with any API request."</p>
            {move || made.get().map(|t| view! {
                <div class="token-made" role="status">
                    <p>{format!("Your new token “{}”. Copy it now: it is not shown again.", t.name)}</p>
                    <code class="token-value" data-token-id=t.id>{t.token.clone()}</code>
                </div>
            })}
            <form class="token-form" on:submit=move |ev| {
                ev.prevent_default();
                create.dispatch(name.get_untracked());
            }>
                <label class="field"><span>"Name"</span>
                    <input type="text" required maxlength="60" placeholder="laptop" bind:value=name /></label>
                <button class="button" type="submit" disabled=move || create.pending().get()>"Make a token"</button>
            </form>
            <p class="form-error" role="alert">{create_error}</p>
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match list.await {
                        Ok(lines) if lines.is_empty() => view! { <p class="field-hint">"No tokens yet."</p> }.into_any(),
                        Ok(lines) => view! {
                            <ul class="token-list">
                                {lines.into_iter().map(|t| view! { <TokenItem t revoke /> }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNotice error /> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn TokenItem(t: TokenLine, revoke: Action<i32, Result<(), ApiError>>) -> impl IntoView {
    let day = |s: &str| s.get(..10).unwrap_or(s).to_string();
    let used = t
        .last_used_at
        .as_deref()
        .map(|u| format!("last used {}", day(u)))
        .unwrap_or_else(|| "never used".to_string());
    let id = t.id;
    let state = match &t.revoked_at {
        Some(at) => {
            view! { <span class="token-revoked">{format!("revoked {}", day(at))}</span> }.into_any()
        }
        None => view! {
            <button class="button button-small" type="button"
                aria-label=format!("Revoke the token {}", t.name)
                on:click=move |_| { revoke.dispatch(id); }>"Revoke"</button>
        }
        .into_any(),
    };
    view! {
        <li class="token-line" data-token-id=id>
            <span class="token-name">{t.name.clone()}</span>
            <span class="token-meta">{format!("made {}, {used}", day(&t.created_at))}</span>
            {state}
        </li>
    }
}

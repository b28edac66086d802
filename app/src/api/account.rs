//! Server functions of accounts: who is signed in, signing in and out, signing up, the
//! profile (password, name shown, API tokens) and the admin's users page. Each checks the
//! caller first, through `swipeset_core::accounts::Caller`.

use leptos::prelude::*;
use server_fn::codec::{GetUrl, Json};

use super::ApiError;
#[cfg(feature = "ssr")]
use super::ssr;
use swipeset_wire::{MeReply, NewToken, TokenLine, UserLine};

/// `GET /api/me`: the signed-in user (`null` for nobody) and the ways to sign in.
#[server(prefix = "/api", endpoint = "me", input = GetUrl, output = Json)]
pub async fn me() -> Result<MeReply, ApiError> {
    let store = ssr::store()?;
    ssr::me(store.db()).await
}

/// `POST /api/sign_in` with `{"name": "ada", "password": "…"}`: starts a session (the
/// `swipeset_session` cookie). A wrong name or password gets one message for both. The
/// throttle (`swipeset_core::accounts::throttle`, docs/API.md) answers 429 when an
/// address has tried one account five times, or thirty times in all, in 15 minutes, and
/// slows down attempts at an account from addresses it never signed in from once it has
/// seen ten; 503 when the server is already checking as many passwords as it allows.
#[server(prefix = "/api", endpoint = "sign_in", input = Json, output = Json)]
pub async fn sign_in(name: String, password: String) -> Result<MeReply, ApiError> {
    use swipeset_core::CoreError;
    use swipeset_core::accounts::{throttle, users};
    let store = ssr::store()?;
    ssr::caller().await.require_not_disabled()?;
    let name = name.trim().to_string();
    if users::check_name(&name).is_err() {
        // No account can have this name: nothing to count, nothing to store.
        return Err(CoreError::unauthorized(users::WRONG_CREDENTIALS).into());
    }
    let ip = ssr::client_ip();
    let settings = ssr::auth_settings();
    let now = chrono::Utc::now();
    let attempt = throttle::attempt(&store, settings.throttle, ip.as_deref(), &name, now).await?;
    match users::authenticate(store.db(), &name, &password).await {
        Ok(user) => {
            // A provider account signs in through the provider while its membership is
            // not vouched for (`swipeset_core::accounts::membership`).
            if let Some(rule) = settings
                .membership
                .as_ref()
                .filter(|rule| rule.lapsed(&user, now))
            {
                throttle::not_checked(&store, attempt, now).await?;
                return Err(rule.refusal().into());
            }
            throttle::succeeded(&store, attempt, now).await?;
            ssr::sessions()?.begin(&user).await?;
            Ok(ssr::me_as(&user))
        }
        Err(error @ CoreError::Unauthorized(_)) => Err(error.into()),
        Err(error) => {
            throttle::not_checked(&store, attempt, now).await?;
            Err(error.into())
        }
    }
}

/// `POST /api/sign_up` with `{"name": "ada", "password": "…"}`: makes an annotator account
/// and signs it in, where the instance allows open registration.
#[server(prefix = "/api", endpoint = "sign_up", input = Json, output = Json)]
pub async fn sign_up(name: String, password: String) -> Result<MeReply, ApiError> {
    use swipeset_core::accounts::{Role, users};
    let store = ssr::store()?;
    let db = store.db();
    ssr::caller().await.require_not_disabled()?;
    if !ssr::auth_settings().open_registration {
        return Err(ApiError::new(
            super::ErrorCode::Forbidden,
            "this instance does not take sign-ups; ask an admin for an account",
        ));
    }
    let user = users::create(db, name.trim(), &password, Role::Annotator).await?;
    users::record_sign_in(db, user.id).await?;
    ssr::sessions()?.begin(&user).await?;
    Ok(ssr::me_as(&user))
}

/// `POST /api/sign_out`: ends this session on the server and clears its cookie.
#[server(prefix = "/api", endpoint = "sign_out", input = Json, output = Json)]
pub async fn sign_out() -> Result<(), ApiError> {
    ssr::sessions()?.end().await
}

/// `POST /api/change_password` with `{"current_password": "…", "new_password": "…"}`.
/// Other sessions of the account end; this one goes on. Wrong current passwords count
/// against the sign-in throttle of the account at this address.
#[server(prefix = "/api", endpoint = "change_password", input = Json, output = Json)]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    use swipeset_core::CoreError;
    use swipeset_core::accounts::{throttle, users};
    let store = ssr::store()?;
    let db = store.db();
    let account = ssr::caller().await.require_account()?.clone();
    let settings = ssr::auth_settings();
    if let Some(rule) = &settings.membership {
        let user = users::find(db, account.id)
            .await?
            .ok_or_else(|| ApiError::internal("the account went away"))?;
        rule.refuse_password(&user)?;
    }
    // Guessing the current password from a session is throttled like signing in.
    let ip = ssr::client_ip();
    let now = chrono::Utc::now();
    let attempt =
        throttle::attempt(&store, settings.throttle, ip.as_deref(), &account.name, now).await?;
    match users::change_password(db, account.id, &current_password, &new_password).await {
        Ok(()) => throttle::succeeded(&store, attempt, now).await?,
        Err(
            error @ CoreError::Invalid {
                field: "current_password",
                ..
            },
        ) => {
            return Err(error.into());
        }
        Err(error) => {
            throttle::not_checked(&store, attempt, now).await?;
            return Err(error.into());
        }
    }
    let user = users::find(db, account.id)
        .await?
        .ok_or_else(|| ApiError::internal("the account went away"))?;
    ssr::sessions()?.keep(&user).await?;
    Ok(())
}

/// `POST /api/set_show_name` with `{"show": true}`: whether the contributors board shows
/// your name (a pseudonym otherwise).
#[server(prefix = "/api", endpoint = "set_show_name", input = Json, output = Json)]
pub async fn set_show_name(show: bool) -> Result<(), ApiError> {
    let store = ssr::store()?;
    let account = ssr::caller().await.require_account()?.clone();
    swipeset_core::accounts::users::set_show_name(store.db(), account.id, show).await?;
    Ok(())
}

/// `GET /api/tokens`: your API tokens, newest first (never the tokens themselves).
#[server(prefix = "/api", endpoint = "tokens", input = GetUrl, output = Json)]
pub async fn tokens() -> Result<Vec<TokenLine>, ApiError> {
    let store = ssr::store()?;
    let account = ssr::caller().await.require_account()?.clone();
    Ok(
        swipeset_core::accounts::tokens::list(store.db(), account.id)
            .await?
            .into_iter()
            .map(swipeset_core::accounts::tokens::line)
            .collect(),
    )
}

/// `POST /api/create_token` with `{"name": "laptop"}`: a new API token for
/// `Authorization: Bearer …`. The answer is the only time the token is shown.
#[server(prefix = "/api", endpoint = "create_token", input = Json, output = Json)]
pub async fn create_token(name: String) -> Result<NewToken, ApiError> {
    let store = ssr::store()?;
    let account = ssr::caller().await.require_account()?.clone();
    let (row, token) =
        swipeset_core::accounts::tokens::create(store.db(), account.id, &name).await?;
    Ok(NewToken {
        id: row.id,
        name: row.name,
        token,
    })
}

/// `POST /api/revoke_token` with `{"id": 3}`: that token stops working at once.
#[server(prefix = "/api", endpoint = "revoke_token", input = Json, output = Json)]
pub async fn revoke_token(id: i32) -> Result<(), ApiError> {
    let store = ssr::store()?;
    let account = ssr::caller().await.require_account()?.clone();
    swipeset_core::accounts::tokens::revoke(store.db(), account.id, id).await?;
    Ok(())
}

/// `GET /api/users` (admins): every account, with its role, state and ratings.
#[server(prefix = "/api", endpoint = "users", input = GetUrl, output = Json)]
pub async fn users() -> Result<Vec<UserLine>, ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    Ok(swipeset_core::accounts::users::list(store.db()).await?)
}

/// `POST /api/set_user_role` with `{"user_id": 4, "role": "admin"}` (admins). The last
/// enabled admin keeps their role.
#[server(prefix = "/api", endpoint = "set_user_role", input = Json, output = Json)]
pub async fn set_user_role(user_id: i32, role: String) -> Result<(), ApiError> {
    use swipeset_core::accounts::Role;
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    let role: Role = role.parse()?;
    swipeset_core::accounts::users::set_role(store.db(), user_id, role).await?;
    Ok(())
}

/// `POST /api/set_user_disabled` with `{"user_id": 4, "disabled": true}` (admins). A
/// disabled user's next request is refused, whether by session or token.
#[server(prefix = "/api", endpoint = "set_user_disabled", input = Json, output = Json)]
pub async fn set_user_disabled(user_id: i32, disabled: bool) -> Result<(), ApiError> {
    let store = ssr::store()?;
    ssr::caller().await.require_admin()?;
    swipeset_core::accounts::users::set_disabled(store.db(), user_id, disabled).await?;
    Ok(())
}

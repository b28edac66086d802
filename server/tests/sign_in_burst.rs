//! A burst of concurrent wrong passwords against one account, in a test binary of its own:
//! it fills the process-wide cap on password checks on purpose, which would make other
//! tests' sign-ins answer "busy" if they ran beside it.

mod common;

use reqwest::StatusCode;

/// A burst of concurrent guesses used to be checked all at once (the limit was read
/// before any failure was written): now each attempt is counted before its password is
/// looked at, so no more than the limit are ever checked.
#[tokio::test]
async fn concurrent_wrong_passwords_cannot_overrun_the_limit() {
    let (_db, server) = common::server_behind_proxy().await;
    let burst = (0..60).map(|_| common::sign_in_from(&server, "198.51.100.1", "wrong password"));
    let answers = futures::future::join_all(burst).await;
    let checked = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {answers:?}"
    );
    assert!(
        answers.iter().all(|(status, retry)| {
            *status == StatusCode::UNAUTHORIZED
                || ([
                    StatusCode::TOO_MANY_REQUESTS,
                    StatusCode::SERVICE_UNAVAILABLE,
                ]
                .contains(status)
                    && retry.is_some())
        }),
        "every other answer says when to come back: {answers:?}"
    );
}

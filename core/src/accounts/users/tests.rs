use super::*;
use crate::testing::fresh_db;

#[tokio::test]
async fn sign_in_says_the_same_for_unknown_names_and_wrong_passwords() {
    let db = fresh_db().await;
    create(&db, "ada", "lovelace-1815", Role::Annotator)
        .await
        .unwrap();
    let wrong = authenticate(&db, "ada", "babbage-1791").await.unwrap_err();
    let unknown = authenticate(&db, "nobody", "lovelace-1815")
        .await
        .unwrap_err();
    assert_eq!(wrong.to_string(), WRONG_CREDENTIALS);
    assert_eq!(unknown.to_string(), WRONG_CREDENTIALS);
    let ok = authenticate(&db, "ada", "lovelace-1815").await.unwrap();
    assert!(
        ok.last_sign_in_at.is_none(),
        "read before the sign-in was noted"
    );
    assert!(
        find(&db, ok.id)
            .await
            .unwrap()
            .unwrap()
            .last_sign_in_at
            .is_some()
    );
}

#[tokio::test]
async fn names_are_unique_and_checked() {
    let db = fresh_db().await;
    create(&db, "ada", "lovelace-1815", Role::Annotator)
        .await
        .unwrap();
    assert!(matches!(
        create(&db, "ada", "another-password", Role::Admin).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        create(&db, "-ada", "lovelace-1815", Role::Annotator).await,
        Err(CoreError::Invalid { field: "name", .. })
    ));
    assert!(matches!(
        create(&db, "bob", "short", Role::Annotator).await,
        Err(CoreError::Invalid {
            field: "password",
            ..
        })
    ));
}

#[tokio::test]
async fn a_disabled_account_cannot_sign_in_and_the_last_admin_stays() {
    let db = fresh_db().await;
    let admin = create(&db, "root", "root-password", Role::Admin)
        .await
        .unwrap();
    let ada = create(&db, "ada", "lovelace-1815", Role::Annotator)
        .await
        .unwrap();
    set_disabled(&db, ada.id, true).await.unwrap();
    assert!(matches!(
        authenticate(&db, "ada", "lovelace-1815").await,
        Err(CoreError::Forbidden(_))
    ));
    assert!(matches!(
        authenticate(&db, "ada", "wrong-password").await,
        Err(CoreError::Unauthorized(_))
    ));
    assert!(matches!(
        set_disabled(&db, admin.id, true).await,
        Err(CoreError::Conflict(_))
    ));
    assert!(matches!(
        set_role(&db, admin.id, Role::Annotator).await,
        Err(CoreError::Conflict(_))
    ));
    set_disabled(&db, ada.id, false).await.unwrap();
    set_role(&db, ada.id, Role::Admin).await.unwrap();
    set_role(&db, admin.id, Role::Annotator).await.unwrap();
    assert_eq!(
        find(&db, admin.id).await.unwrap().unwrap().role,
        "annotator"
    );
}

#[tokio::test]
async fn change_password_needs_the_current_one() {
    let db = fresh_db().await;
    let ada = create(&db, "ada", "lovelace-1815", Role::Annotator)
        .await
        .unwrap();
    assert!(
        change_password(&db, ada.id, "wrong-one", "new-password")
            .await
            .is_err()
    );
    change_password(&db, ada.id, "lovelace-1815", "new-password")
        .await
        .unwrap();
    assert!(authenticate(&db, "ada", "lovelace-1815").await.is_err());
    assert!(authenticate(&db, "ada", "new-password").await.is_ok());
}

#[tokio::test]
async fn first_admin_is_made_once() {
    let db = fresh_db().await;
    let (admin, generated) = ensure_first_admin(&db, None).await.unwrap().unwrap();
    let generated = generated.unwrap();
    assert_eq!(admin.name, "admin");
    assert!(authenticate(&db, "admin", &generated).await.is_ok());
    assert!(ensure_first_admin(&db, None).await.unwrap().is_none());

    let other = fresh_db().await;
    let (_, generated) = ensure_first_admin(&other, Some("from-the-environment"))
        .await
        .unwrap()
        .unwrap();
    assert!(generated.is_none());
    assert!(
        authenticate(&other, "admin", "from-the-environment")
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn openid_sign_ins_find_or_make_one_user_with_a_free_name() {
    let db = fresh_db().await;
    create(&db, "ada", "lovelace-1815", Role::Annotator)
        .await
        .unwrap();
    let identity = OidcIdentity {
        issuer: "https://huggingface.co".into(),
        subject: "123".into(),
        preferred_username: Some("ada".into()),
    };
    let first = oidc_sign_in(&db, &identity).await.unwrap();
    let again = oidc_sign_in(&db, &identity).await.unwrap();
    assert_eq!(first.id, again.id);
    assert_eq!(first.name, "ada-2", "the password account keeps `ada`");
    assert_eq!(first.role, "annotator");
    let odd = oidc_sign_in(
        &db,
        &OidcIdentity {
            subject: "456".into(),
            preferred_username: Some("Zoë Smith!".into()),
            ..identity.clone()
        },
    )
    .await
    .unwrap();
    assert!(check_name(&odd.name).is_ok(), "{}", odd.name);
    let names: Vec<String> = list(&db)
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.name)
        .collect();
    assert_eq!(names.len(), 3);
}

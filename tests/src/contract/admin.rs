//! The admin routes: listing users, changing them, and who may.

use serde_json::{Value, json};

use super::Target;
use super::client::*;

/// `GET path` as `bearer`; asserts `200` with an array of `UserOut`s and returns it.
async fn users(t: &Target, path: &str, bearer: &str) -> Vec<Value> {
    let list = get(t, path, Some(bearer)).await.expect_status(200).json();
    let items = list.as_array().unwrap_or_else(|| panic!("not an array: {list}")).clone();
    items.iter().for_each(assert_user_out);
    items
}

/// `GET /admin/users` pages with `limit` and `offset` and never shows a secret.
pub async fn admin_lists_users_with_paging(t: &Target) {
    new_user(t).await;
    new_user(t).await;
    let admin = admin_login(t).await.0;
    let first = users(t, "/admin/users?limit=2&offset=0", &admin).await;
    assert_eq!(first.len(), 2, "three users exist: {first:?}");
    let second = users(t, "/admin/users?limit=1&offset=1", &admin).await;
    assert_eq!(second, first[1..]);
    let all = users(t, "/admin/users", &admin).await;
    assert!(all.len() >= 3, "{all:?}");
    assert!(all.iter().any(|u| u["username"] == t.admin_username.as_str()), "{all:?}");
}

/// `limit` outside 1..=100 is `422` naming `limit`.
pub async fn admin_list_validates_limit(t: &Target) {
    let admin = admin_login(t).await.0;
    for limit in ["101", "0", "abc"] {
        let r = get(t, &format!("/admin/users?limit={limit}"), Some(&admin)).await;
        assert_validation(&r, "limit");
    }
}

/// Users get `403` on every admin route; anonymous callers `401`.
pub async fn admin_routes_refuse_users(t: &Target) {
    let (user, victim) = (new_user(t).await, new_user(t).await);
    let bearer = Some(user.access.as_str());
    let patch_path = format!("/admin/users/{}", victim.id);
    let promote = json!({"role": "admin"});

    assert_forbidden(&get(t, "/admin/users", bearer).await);
    assert_forbidden(&get(t, "/admin/tasks", bearer).await);
    assert_forbidden(&patch_json(t, &patch_path, bearer, &promote).await);
    let own_path = format!("/admin/users/{}", user.id);
    assert_forbidden(&patch_json(t, &own_path, bearer, &promote).await);

    assert_not_authenticated(&get(t, "/admin/users", None).await);
    assert_not_authenticated(&patch_json(t, &patch_path, None, &promote).await);
    let me = get(t, "/auth/me", Some(&victim.access)).await.expect_status(200).json();
    assert_eq!(me["role"], "user");
}

/// `GET /admin/users/{id}`: the user for an admin (where a registration's `Location`
/// points), `404` for an unknown id, `403` for a user, `401` without a token.
pub async fn admin_reads_a_user_by_id(t: &Target) {
    let admin = admin_login(t).await.0;
    let (alice, bob) = (new_user(t).await, new_user(t).await);
    let path = format!("/admin/users/{}", alice.id);
    let user = get(t, &path, Some(&admin)).await.expect_status(200).json();
    assert_user_out(&user);
    assert_eq!(user["id"], alice.id);
    assert_eq!(user["username"], alice.username.as_str());
    let unknown = get(t, "/admin/users/999999999", Some(&admin)).await;
    unknown.expect_status(404);
    assert_eq!(unknown.json()["code"], "not_found");
    assert_forbidden(&get(t, &path, Some(&bob.access)).await);
    assert_forbidden(&get(t, &path, Some(&alice.access)).await);
    assert_not_authenticated(&get(t, &path, None).await);
}

/// Patching a user that does not exist is `404 not_found`.
pub async fn admin_patch_of_unknown_user_is_404(t: &Target) {
    let admin = admin_login(t).await.0;
    let r =
        patch_json(t, "/admin/users/99999999", Some(&admin), &json!({"is_active": false})).await;
    assert_error(&r, 404, "not_found");
}

/// A role the service does not declare (a valid name or not) is `422` naming `role`, and
/// the user keeps theirs.
pub async fn admin_patch_with_an_unknown_role_is_422(t: &Target) {
    let admin = admin_login(t).await.0;
    let user = new_user(t).await;
    let path = format!("/admin/users/{}", user.id);
    for role in ["editor", "root", "Admin", "", "a b", &"r".repeat(33)] {
        let r = patch_json(t, &path, Some(&admin), &json!({"role": role})).await;
        assert_validation(&r, "role");
    }
    let kept = get(t, &path, Some(&admin)).await.expect_status(200).json();
    assert_eq!(kept["role"], "user");
}

/// An admin cannot demote itself (`409 conflict`).
pub async fn admin_cannot_demote_itself(t: &Target) {
    let admin = admin_user(t).await;
    let path = format!("/admin/users/{}", admin.id);
    let r = patch_json(t, &path, Some(&admin.access), &json!({"role": "user"})).await;
    assert_error(&r, 409, "conflict");
    get(t, "/auth/admin", Some(&admin.access)).await.expect_status(200);
}

/// A deactivated user reactivated by an admin can log in again.
pub async fn admin_reactivation_restores_login(t: &Target) {
    let user = new_user(t).await;
    admin_patch_user(t, user.id, &json!({"is_active": false})).await;
    assert_invalid_credentials(&login_raw(t, &user.username, &user.password).await);
    let back = admin_patch_user(t, user.id, &json!({"is_active": true})).await;
    assert_eq!(back["is_active"], true);
    let (access, _) = login(t, &user.username, &user.password).await;
    get(t, "/auth/me", Some(&access)).await.expect_status(200);
}

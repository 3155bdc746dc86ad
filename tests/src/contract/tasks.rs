//! The example task routes: ownership, paging, partial updates, limits, ids.

use serde_json::{Value, json};

use super::Target;
use super::client::*;

/// `POST /tasks` as `user`; asserts `201` with a task and its `Location`, returns the task.
pub async fn create_task(t: &Target, user: &TestUser, body: &Value) -> Value {
    let r = post_json(t, "/tasks", Some(&user.access), body).await;
    let task = r.expect_status(201).json();
    assert_task(&task);
    let location = format!("/tasks/{}", id_of(&task));
    assert_eq!(r.header("location"), Some(location.as_str()));
    task
}

/// Creates tasks titled `titles` in order; returns them.
async fn create_tasks(t: &Target, user: &TestUser, titles: &[&str]) -> Vec<Value> {
    let mut tasks = Vec::new();
    for title in titles {
        tasks.push(create_task(t, user, &json!({"title": title})).await);
    }
    tasks
}

/// `GET path` as `bearer`; asserts `200` with an array of tasks, returns their ids.
async fn task_ids(t: &Target, path: &str, bearer: &str) -> Vec<i64> {
    let list = get(t, path, Some(bearer)).await.expect_status(200).json();
    let items = list.as_array().unwrap_or_else(|| panic!("not an array: {list}"));
    items.iter().inspect(|task| assert_task(task)).map(id_of).collect()
}

fn ids(tasks: &[Value]) -> Vec<i64> {
    tasks.iter().map(id_of).collect()
}

fn task_path(task: &Value) -> String {
    format!("/tasks/{}", id_of(task))
}

/// A new task is `201`, owned by the caller whatever `owner_id` the body claims.
pub async fn create_task_ignores_owner_id_in_body(t: &Target) {
    let user = new_user(t).await;
    let task = create_task(t, &user, &json!({"title": "t1", "owner_id": 999})).await;
    assert_eq!(task["owner_id"], user.id);
    assert_eq!(task["title"], "t1");
    assert_eq!(task["description"], Value::Null);
    assert_eq!(task["done"], false);
    let fetched = get(t, &task_path(&task), Some(&user.access)).await.expect_status(200).json();
    assert_eq!(fetched, task);
}

/// `GET /tasks` lists the caller's own tasks, oldest first.
pub async fn list_tasks_shows_own_oldest_first(t: &Target) {
    let (alice, bob) = (new_user(t).await, new_user(t).await);
    let a1 = create_tasks(t, &alice, &["a1"]).await;
    let b = create_tasks(t, &bob, &["b1"]).await;
    let a2 = create_tasks(t, &alice, &["a2", "a3"]).await;
    let alice_ids: Vec<i64> = ids(&a1).into_iter().chain(ids(&a2)).collect();
    assert_eq!(task_ids(t, "/tasks", &alice.access).await, alice_ids);
    assert_eq!(task_ids(t, "/tasks", &bob.access).await, ids(&b));
}

/// `limit` and `offset` page through the list.
pub async fn list_tasks_pages(t: &Target) {
    let user = new_user(t).await;
    let tasks = ids(&create_tasks(t, &user, &["p1", "p2", "p3"]).await);
    let page = |q: &str| format!("/tasks?{q}");
    assert_eq!(task_ids(t, &page("limit=1&offset=1"), &user.access).await, tasks[1..2]);
    assert_eq!(task_ids(t, &page("limit=2&offset=0"), &user.access).await, tasks[..2]);
    assert_eq!(task_ids(t, &page("limit=100&offset=2"), &user.access).await, tasks[2..]);
    assert!(task_ids(t, &page("offset=3"), &user.access).await.is_empty());
}

/// `limit` outside 1..=100, or not a number, is `422` naming `limit`.
pub async fn list_tasks_validates_limit(t: &Target) {
    let user = new_user(t).await;
    for limit in ["101", "0", "abc"] {
        let r = get(t, &format!("/tasks?limit={limit}"), Some(&user.access)).await;
        assert_validation(&r, "limit");
    }
}

/// Someone else's task is a `404` identical to a task that does not exist.
pub async fn foreign_tasks_look_nonexistent(t: &Target) {
    let (owner, other) = (new_user(t).await, new_user(t).await);
    let task = create_task(t, &owner, &json!({"title": "mine"})).await;
    let foreign = task_path(&task);
    let missing = format!("/tasks/{}", id_of(&task) + 1_000_000);
    let bearer = Some(other.access.as_str());
    let patch = json!({"done": true});

    let pairs = [
        (get(t, &foreign, bearer).await, get(t, &missing, bearer).await),
        (
            patch_json(t, &foreign, bearer, &patch).await,
            patch_json(t, &missing, bearer, &patch).await,
        ),
        (delete(t, &foreign, bearer).await, delete(t, &missing, bearer).await),
    ];
    for (theirs, nobodys) in &pairs {
        assert_error(theirs, 404, "not_found");
        assert_error(nobodys, 404, "not_found");
        assert_eq!(theirs.body, nobodys.body, "someone else's task vs a missing one");
    }
    let unchanged = get(t, &foreign, Some(&owner.access)).await.expect_status(200).json();
    assert_eq!(unchanged, task);
}

/// An admin reads anyone's task.
pub async fn admin_reads_any_task(t: &Target) {
    let user = new_user(t).await;
    let task = create_task(t, &user, &json!({"title": "visible to admins"})).await;
    let admin = admin_login(t).await.0;
    let fetched = get(t, &task_path(&task), Some(&admin)).await.expect_status(200).json();
    assert_eq!(fetched, task);
}

/// `PATCH /tasks/{id}` changes exactly the fields given, and `updated_at` only.
pub async fn patch_task_changes_only_given_fields(t: &Target) {
    let user = new_user(t).await;
    let body = json!({"title": "before", "description": "some words"});
    let mut task = create_task(t, &user, &body).await;
    let path = task_path(&task);
    let patches = [
        json!({"done": true}),
        json!({"title": "after"}),
        json!({"description": "other words"}),
        json!({"description": null}),
        json!({"title": "all", "description": "at once", "done": false}),
    ];
    for patch in patches {
        let r = patch_json(t, &path, Some(&user.access), &patch).await;
        let patched = r.expect_status(200).json();
        assert_task(&patched);
        let mut expected = task.clone();
        for (key, value) in patch.as_object().expect("patch object") {
            expected[key] = value.clone();
        }
        expected["updated_at"] = patched["updated_at"].clone();
        assert_eq!(patched, expected, "after {patch}");
        assert_ne!(patched["updated_at"], task["updated_at"], "updated_at after {patch}");
        task = patched;
    }
    let fetched = get(t, &path, Some(&user.access)).await.expect_status(200).json();
    assert_eq!(fetched, task);
}

/// `DELETE /tasks/{id}` is an empty `204`; the task is then gone.
pub async fn delete_task_then_gone(t: &Target) {
    let user = new_user(t).await;
    let task = create_task(t, &user, &json!({"title": "doomed"})).await;
    let path = task_path(&task);
    assert_no_content(&delete(t, &path, Some(&user.access)).await);
    assert_error(&get(t, &path, Some(&user.access)).await, 404, "not_found");
    assert_error(&delete(t, &path, Some(&user.access)).await, 404, "not_found");
    assert!(task_ids(t, "/tasks", &user.access).await.is_empty());
}

/// Titles are 1–200 characters and descriptions at most 2000.
pub async fn task_fields_are_length_checked(t: &Target) {
    let user = new_user(t).await;
    let bearer = Some(user.access.as_str());
    let post = |body: Value| async move { post_json(t, "/tasks", bearer, &body).await };
    assert_validation(&post(json!({"title": ""})).await, "title");
    assert_validation(&post(json!({"title": "x".repeat(201)})).await, "title");
    let long_description = json!({"title": "ok", "description": "d".repeat(2001)});
    assert_validation(&post(long_description).await, "description");
    assert_error(&post(json!({"description": "no title"})).await, 422, "validation_error");

    let longest = json!({"title": "x".repeat(200), "description": "d".repeat(2000)});
    let task = create_task(t, &user, &longest).await;
    assert_eq!(task["title"].as_str().map(str::len), Some(200));
    assert_eq!(task["description"].as_str().map(str::len), Some(2000));
}

/// `GET /admin/tasks` lists every user's tasks for admins; users get `403`.
pub async fn admin_lists_all_tasks(t: &Target) {
    let (alice, bob) = (new_user(t).await, new_user(t).await);
    let mut all = ids(&create_tasks(t, &alice, &["a"]).await);
    all.extend(ids(&create_tasks(t, &bob, &["b"]).await));
    let admin = admin_login(t).await.0;
    let listed = task_ids(t, "/admin/tasks", &admin).await;
    for id in &all {
        assert!(listed.contains(id), "task {id} missing from {listed:?}");
    }
    assert_forbidden(&get(t, "/admin/tasks", Some(&alice.access)).await);
}

/// Ids that are not 64-bit integers are `422`; integers that name no task are `404`.
pub async fn task_ids_are_validated(t: &Target) {
    let user = new_user(t).await;
    let bearer = Some(user.access.as_str());
    for bad in ["abc", "99999999999999999999"] {
        assert_error(&get(t, &format!("/tasks/{bad}"), bearer).await, 422, "validation_error");
    }
    for missing in ["-1", "0"] {
        assert_error(&get(t, &format!("/tasks/{missing}"), bearer).await, 404, "not_found");
    }
}

/// Every task route needs a bearer.
pub async fn tasks_require_a_token(t: &Target) {
    assert_not_authenticated(&get(t, "/tasks", None).await);
    assert_not_authenticated(&post_json(t, "/tasks", None, &json!({"title": "t"})).await);
    assert_not_authenticated(&get(t, "/tasks/1", None).await);
    assert_not_authenticated(&delete(t, "/tasks/1", None).await);
}

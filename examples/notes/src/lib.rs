//! A resource server: notes kept per user, behind the task service's access tokens.
//!
//! It holds no secret, no user table and no session: it trusts a token because the issuer's
//! JWKS (`/.well-known/jwks.json`) holds the key that signed it, through
//! [`auth_core::RemoteKeySet`] and the [`auth_axum::RemoteClaims`] extractor. The issuer must
//! sign with an asymmetric key (`JWT_ALGORITHM=EdDSA` or `ES256`): an HS256 issuer publishes
//! no key, so every token is refused here.
//!
//! Routes: `GET /health`, `GET /whoami`, `GET /notes`, `POST /notes {"text"}` (201; 1 to
//! 1000 characters, 100 notes per user), `DELETE /notes/{id}` (204). Notes live in memory.
//!
//! It checks the issuer's `iss` and `aud` (`JWT_ISSUER`, `JWT_AUDIENCE`, the task service's
//! defaults): a token for the task service is good here too. Where a token must be good
//! for one service only, the issuer has to write an audience per service, which the task
//! service does not do.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use auth_axum::{ApiJson, ApiPath, RemoteClaims, api_errors};
use auth_core::{AuthError, RemoteKeySet, UserId, http::ErrorResponse};
use axum::{
    Json, Router,
    extract::{DefaultBodyLimit, FromRef, State},
    http::StatusCode,
    routing::{delete, get},
};
use serde::{Deserialize, Serialize};

/// The settings of the notes server, from the command line or the environment.
#[derive(Debug, Clone, clap::Parser)]
#[command(name = "notes", version, about)]
pub struct Config {
    /// The address to listen on.
    #[arg(long, env = "NOTES_BIND", default_value = "127.0.0.1:8001")]
    pub bind: String,
    /// The issuer's JWKS URL: https://, or http:// to a loopback host.
    #[arg(long, env = "JWKS_URL", default_value = "http://127.0.0.1:8000/.well-known/jwks.json")]
    pub jwks_url: String,
    /// The `iss` the issuer writes (its `JWT_ISSUER`).
    #[arg(long, env = "JWT_ISSUER", default_value = "task-service")]
    pub jwt_issuer: String,
    /// The `aud` the issuer writes (its `JWT_AUDIENCE`).
    #[arg(long, env = "JWT_AUDIENCE", default_value = "task-service")]
    pub jwt_audience: String,
}

impl Config {
    /// The key set these settings describe.
    ///
    /// # Errors
    /// [`AuthError::Config`] for a JWKS URL that is not https:// (or http:// to a loopback
    /// host), or an empty issuer or audience.
    pub fn key_set(&self) -> Result<RemoteKeySet, AuthError> {
        RemoteKeySet::builder(&self.jwks_url, &self.jwt_issuer, &self.jwt_audience).build()
    }
}

/// A note.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Note {
    /// Its id, unique on this server.
    pub id: u64,
    /// What it says.
    pub text: String,
}

/// What `POST /notes` takes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewNote {
    text: String,
}

/// The longest note, in characters.
pub const MAX_NOTE_CHARS: usize = 1000;
/// The most notes a user keeps (`409 conflict` past it): memory stays bounded.
pub const MAX_NOTES_PER_USER: usize = 100;
/// The largest request body, in bytes.
pub const BODY_LIMIT: usize = 16 * 1024;

/// The server's state: the issuer's keys and the notes.
#[derive(Clone)]
pub struct Notes {
    keys: RemoteKeySet,
    notes: Arc<Mutex<Book>>,
}

#[derive(Default)]
struct Book {
    next_id: u64,
    by_user: HashMap<UserId, Vec<Note>>,
}

impl FromRef<Notes> for RemoteKeySet {
    fn from_ref(notes: &Notes) -> Self {
        notes.keys.clone()
    }
}

impl Notes {
    /// An empty notebook trusting the tokens `keys` verifies.
    pub fn new(keys: RemoteKeySet) -> Self {
        Self { keys, notes: Arc::default() }
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.notes.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The routes, with the API's error bodies for axum's own refusals.
pub fn router(notes: Notes) -> Router {
    Router::new()
        .route("/health", get(|| async { Json(serde_json::json!({"status": "ok"})) }))
        .route("/whoami", get(whoami))
        .route("/notes", get(list).post(add))
        .route("/notes/{id}", delete(remove))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(api_errors())
        .with_state(notes)
}

/// Who the token says the caller is.
async fn whoami(RemoteClaims(claims): RemoteClaims) -> Json<serde_json::Value> {
    Json(serde_json::json!({
        "id": claims.sub,
        "username": claims.username,
        "role": claims.role,
        "amr": claims.amr,
    }))
}

async fn list(RemoteClaims(claims): RemoteClaims, State(notes): State<Notes>) -> Json<Vec<Note>> {
    Json(notes.book().by_user.get(&claims.sub).cloned().unwrap_or_default())
}

async fn add(
    RemoteClaims(claims): RemoteClaims,
    State(notes): State<Notes>,
    ApiJson(new): ApiJson<NewNote>,
) -> Result<(StatusCode, Json<Note>), auth_axum::ApiError> {
    let text = new.text.trim();
    if text.is_empty() || text.chars().count() > MAX_NOTE_CHARS {
        let message = format!("a note has 1 to {MAX_NOTE_CHARS} characters");
        return Err(ErrorResponse::validation("text", message).into());
    }
    let mut book = notes.book();
    if book.by_user.get(&claims.sub).is_some_and(|mine| mine.len() >= MAX_NOTES_PER_USER) {
        return Err(AuthError::Conflict("the notebook is full: delete a note first").into());
    }
    book.next_id += 1;
    let note = Note { id: book.next_id, text: text.to_owned() };
    book.by_user.entry(claims.sub).or_default().push(note.clone());
    Ok((StatusCode::CREATED, Json(note)))
}

async fn remove(
    RemoteClaims(claims): RemoteClaims,
    State(notes): State<Notes>,
    ApiPath(id): ApiPath<u64>,
) -> Result<StatusCode, auth_axum::ApiError> {
    let mut book = notes.book();
    let mine = book.by_user.get_mut(&claims.sub).ok_or(AuthError::NotFound)?;
    let at = mine.iter().position(|n| n.id == id).ok_or(AuthError::NotFound)?;
    mine.remove(at);
    Ok(StatusCode::NO_CONTENT)
}

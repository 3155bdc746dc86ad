//! Turning request bytes into typed values, with the API's answers when they do not fit:
//! 400 for JSON that does not parse, 422 naming the field for a value of the wrong type or
//! a missing field. Both framework crates read the bytes and hand them here, so that they
//! refuse alike, byte for byte.
//!
//! The field comes from `serde_path_to_error`'s path, never from an error's text; the text
//! of the innermost error (serde's, or the standard library's for a number that does not
//! parse) is the message, without `serde_json`'s "at line L column C".

use serde::de::DeserializeOwned;
use serde_json::error::Category;

use super::{BodyKind, ErrorResponse};

/// A body of `kind` (as [`AcceptedBodies::body_kind`](super::AcceptedBodies::body_kind) chose it).
///
/// ```
/// use auth_core::http::{BodyKind, decode_body};
/// #[derive(Debug, serde::Deserialize)]
/// struct Login { username: String }
/// let ok: Login = decode_body(BodyKind::Form, b"username=alice").unwrap();
/// assert_eq!(ok.username, "alice");
/// let bad = decode_body::<Login>(BodyKind::Json, br#"{"username": 5}"#).unwrap_err();
/// assert_eq!(bad.body.detail, "username: invalid type: integer `5`, expected a string");
/// let missing = decode_body::<Login>(BodyKind::Json, b"{}").unwrap_err();
/// assert_eq!(missing.body.detail, "username: field required");
/// ```
///
/// # Errors
/// 400 `bad_request` for malformed JSON; 422 `validation_error` naming the field.
pub fn decode_body<T: DeserializeOwned>(kind: BodyKind, body: &[u8]) -> Result<T, ErrorResponse> {
    match kind {
        BodyKind::Json => decode_json(body),
        BodyKind::Form => decode_form(body),
    }
}

/// A query string (`limit=10&offset=20`, without the `?`).
///
/// # Errors
/// 422 `validation_error` naming the parameter.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ErrorResponse> {
    decode_form(query.as_bytes())
}

fn decode_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, ErrorResponse> {
    let mut deserializer = serde_json::Deserializer::from_slice(body);
    let value = serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
        match e.inner().classify() {
            Category::Data => {
                let inner = e.inner();
                let at = format!(" at line {} column {}", inner.line(), inner.column());
                let message = inner.to_string();
                let message = message.strip_suffix(&at).unwrap_or(&message).to_owned();
                field_error(e.path(), message)
            }
            Category::Syntax | Category::Eof | Category::Io => malformed_json(),
        }
    })?;
    deserializer.end().map_err(|_| malformed_json())?;
    Ok(value)
}

fn decode_form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ErrorResponse> {
    let deserializer = serde_urlencoded::Deserializer::new(form_urlencoded::parse(body));
    serde_path_to_error::deserialize(deserializer)
        .map_err(|e| field_error(e.path(), e.inner().to_string()))
}

fn malformed_json() -> ErrorResponse {
    ErrorResponse::bad_request("Malformed JSON body")
}

/// 422 for the value at `path`. A missing field is reported by serde at its parent's path
/// with the message `serde::de::Error::missing_field` writes (``missing field `name` ``):
/// that one becomes `parent.name: field required`. A failure at the root names the `body`.
fn field_error(path: &serde_path_to_error::Path, message: String) -> ErrorResponse {
    let at = path.to_string();
    let at = (at != ".").then_some(at);
    let missing = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`'));
    match (at, missing) {
        (None, Some(field)) => ErrorResponse::validation(field, "field required"),
        (Some(at), Some(field)) => {
            ErrorResponse::validation(&format!("{at}.{field}"), "field required")
        }
        (Some(at), None) => ErrorResponse::validation(&at, message),
        (None, None) => ErrorResponse::validation("body", message),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Task {
        title: String,
        limit: Option<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Item {
        a: String,
    }

    fn json_detail<T: DeserializeOwned + std::fmt::Debug>(body: &str) -> (u16, String) {
        let e = decode_body::<T>(BodyKind::Json, body.as_bytes()).unwrap_err();
        (e.status, e.body.detail)
    }

    #[test]
    fn json_errors_name_the_field() {
        assert_eq!(
            json_detail::<Task>(r#"{"title": 5}"#),
            (422, "title: invalid type: integer `5`, expected a string".into())
        );
        assert_eq!(json_detail::<Task>("{}"), (422, "title: field required".into()));
        assert_eq!(
            json_detail::<Vec<Item>>(r#"[{"a": null}]"#),
            (422, "[0].a: invalid type: null, expected a string".into())
        );
        assert_eq!(
            json_detail::<Task>(r#""5""#),
            (422, "body: invalid type: string \"5\", expected struct Task".into())
        );
        for malformed in ["{", "", r#"{"title": "a"} trailing"#, "\u{feff}{}"] {
            assert_eq!(json_detail::<Task>(malformed), (400, "Malformed JSON body".into()));
        }
    }

    #[test]
    fn form_and_query_errors_name_the_parameter() {
        let e = decode_query::<Task>("title=x&limit=x").unwrap_err();
        assert_eq!(
            (e.status, e.body.detail.as_str()),
            (422, "limit: invalid digit found in string")
        );
        let e = decode_body::<Task>(BodyKind::Form, b"limit=1").unwrap_err();
        assert_eq!(e.body.detail, "title: field required");
        let ok: Task = decode_query("title=a+b&limit=3").unwrap();
        assert_eq!((ok.title.as_str(), ok.limit), ("a b", Some(3)));
    }
}

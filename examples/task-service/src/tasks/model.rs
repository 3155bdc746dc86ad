use serde::{Deserialize, Deserializer, Serialize};
use time::OffsetDateTime;

use auth_core::{AuthError, Result, UserId};

/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A task as clients see it (`docs/API.md`: a task).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Task {
    /// Task id.
    pub id: i64,
    /// Whose task it is (always the creator).
    pub owner_id: UserId,
    /// 1–200 characters.
    pub title: String,
    /// At most 2000 characters, or `null`.
    pub description: Option<String>,
    /// Whether it is done.
    pub done: bool,
    /// Creation time (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Last change (RFC 3339).
    #[serde(with = "time::serde::rfc3339")]
    pub updated_at: OffsetDateTime,
}

impl Task {
    /// Where the task lives: `/tasks/{id}` (the `Location` of a created task).
    pub fn location(&self) -> String {
        format!("/tasks/{}", self.id)
    }
}

/// The body of `POST /tasks`. Unknown fields (such as an `owner_id`) are ignored: the owner
/// is always the caller.
#[derive(Debug, Clone, Deserialize)]
pub struct CreateTask {
    /// 1–200 characters.
    pub title: String,
    /// At most 2000 characters.
    #[serde(default)]
    pub description: Option<String>,
}

/// The body of `PATCH /tasks/{id}`: any of the fields; `"description": null` clears it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateTask {
    /// A new title.
    pub title: Option<String>,
    /// `Some(None)` clears the description, `None` keeps it.
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    /// A new done flag.
    pub done: Option<bool>,
}

/// Distinguishes an absent field (`None`) from an explicit `null` (`Some(None)`).
fn present<'de, D: Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// Checks and normalizes a title (surrounding white space is trimmed).
pub(crate) fn title(raw: &str) -> Result<String> {
    let t = raw.trim();
    let n = t.chars().count();
    if n == 0 || n > MAX_TITLE_CHARS {
        return Err(AuthError::validation(
            "title",
            format!("must be 1 to {MAX_TITLE_CHARS} characters"),
        ));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(AuthError::validation("title", "must not contain control characters"));
    }
    Ok(t.to_owned())
}

/// Checks a description.
pub(crate) fn description(raw: Option<String>) -> Result<Option<String>> {
    match raw {
        Some(d) if d.chars().count() > MAX_DESCRIPTION_CHARS => Err(AuthError::validation(
            "description",
            format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
        )),
        other => Ok(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_bounds() {
        assert!(title("").is_err());
        assert!(title("   ").is_err());
        assert!(title(&"x".repeat(200)).is_ok());
        assert!(title(&"é".repeat(200)).is_ok());
        assert!(title(&"x".repeat(201)).is_err());
        assert!(title("a\u{0}b").is_err());
        assert_eq!(title("  buy milk ").unwrap(), "buy milk");
    }

    #[test]
    fn description_bounds() {
        assert!(description(Some("x".repeat(2000))).is_ok());
        assert!(description(Some("x".repeat(2001))).is_err());
        assert_eq!(description(None).unwrap(), None);
    }

    #[test]
    fn patch_tells_null_from_absent() {
        let p: UpdateTask = serde_json::from_str(r#"{"description": null}"#).unwrap();
        assert_eq!(p.description, Some(None));
        let p: UpdateTask = serde_json::from_str(r#"{"done": true}"#).unwrap();
        assert_eq!(p.description, None);
    }
}

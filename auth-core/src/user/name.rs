//! The text of a role or permission name: borrowed when the name is written in the code (so
//! it can be a constant), shared otherwise; compared, ordered and hashed by its text.

use std::{
    cmp::Ordering,
    hash::{Hash, Hasher},
    sync::Arc,
};

#[derive(Clone)]
pub(crate) enum Name {
    Static(&'static str),
    Shared(Arc<str>),
}

impl Name {
    pub(crate) fn as_str(&self) -> &str {
        match self {
            Self::Static(s) => s,
            Self::Shared(s) => s,
        }
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl PartialOrd for Name {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Name {
    fn cmp(&self, other: &Self) -> Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl Hash for Name {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

/// Whether `name` is 1..=`max` bytes of lower-case ASCII letters, digits, `_`, `-` and the
/// bytes of `extra`, starting with a letter. A `const fn`, so that a name written in the
/// code is checked when it compiles.
pub(crate) const fn is_valid(name: &str, max: usize, extra: &[u8]) -> bool {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes.len() > max || !bytes[0].is_ascii_lowercase() {
        return false;
    }
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if !(b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-') {
            let mut j = 0;
            let mut allowed = false;
            while j < extra.len() {
                allowed |= extra[j] == b;
                j += 1;
            }
            if !allowed {
                return false;
            }
        }
        i += 1;
    }
    true
}

/// `a == b`, in a `const fn`.
pub(crate) const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_start_with_a_letter_and_keep_to_their_alphabet() {
        for good in ["a", "editor", "support_lead", "read-only", "v2"] {
            assert!(is_valid(good, 32, b""), "{good}");
        }
        for bad in ["", "Editor", "2fa", "_x", "a b", "é", "a\n", "a:b", &"a".repeat(33)] {
            assert!(!is_valid(bad, 32, b""), "{bad:?}");
        }
        assert!(is_valid("tasks:read_all", 64, b":."));
        assert!(!is_valid("tasks:read_all", 64, b""));
    }

    #[test]
    fn static_and_shared_names_are_equal_by_text() {
        let (a, b) = (Name::Static("editor"), Name::Shared(Arc::from("editor")));
        assert!(a == b && a.cmp(&b) == Ordering::Equal);
        let hash = |n: &Name| {
            let mut h = std::collections::hash_map::DefaultHasher::new();
            n.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&a), hash(&b));
        assert!(same("admin", "admin") && !same("admin", "admins") && !same("user", "usex"));
    }
}

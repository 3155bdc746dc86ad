//! Cross-crate integration and conformance tests. The HTTP contract suite lands here with
//! the axum issue; for now this crate compiles the README's code blocks as doctests, so the
//! quickstart cannot rot.
#![forbid(unsafe_code)]

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

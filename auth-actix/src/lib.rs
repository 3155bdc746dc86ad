//! `auth-actix`: placeholder. This crate is built in its own issue; until then it only compiles,
//! so that the workspace layout is fixed from the start.
#![forbid(unsafe_code)]

//! Cross-crate integration and conformance tests: the HTTP contract suite ([`contract`]),
//! the servers it runs against ([`servers`]), and the README's code blocks as doctests, so
//! the quickstarts cannot rot.
#![forbid(unsafe_code)]

pub mod balancer;
pub mod contract;
pub mod servers;

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeDoctests;

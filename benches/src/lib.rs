//! Benchmarks of the auth library.
//!
//! The criterion benchmarks live in `benches/`:
//!
//! - `hashing`: Argon2id hash and verify over the parameter [`grid`], the five OWASP
//!   settings ([`owasp`]), and bcrypt at [`BCRYPT_COSTS`] for comparison;
//! - `tokens`: access-token sign and verify per algorithm, refresh-token generate + digest,
//!   and `Auth::verify_access`.
//!
//! ```sh
//! cargo bench -p auth-benches --bench tokens
//! cargo bench -p auth-benches --bench hashing
//! python3 benches/report.py   # docs/benchmarks/{hashing,tokens}.md and hashing.png
//! ```
//!
//! This library holds only the parameter grid and the benchmark ids, so that the benchmark
//! names `benches/report.py` parses are defined in one place.
#![forbid(unsafe_code)]

use auth_core::{Argon2Params, Result};

/// Memory costs of the grid, in MiB.
pub const GRID_M_MIB: [u32; 5] = [8, 19, 46, 64, 128];
/// Iteration counts of the grid.
pub const GRID_T: [u32; 3] = [1, 2, 3];
/// Lane counts of the grid. The `argon2` crate is built without its `parallel` feature, so
/// lanes run one after another on one core.
pub const GRID_P: [u32; 3] = [1, 2, 4];
/// bcrypt costs measured for comparison.
pub const BCRYPT_COSTS: [u32; 4] = [10, 11, 12, 13];

/// One point of the Argon2id grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Point {
    /// Memory cost in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
    /// Lanes.
    pub p: u32,
}

impl Point {
    /// The benchmark id, `m=19456KiB/t=2/p=1`: the form `benches/report.py` parses.
    pub fn id(&self) -> String {
        format!("m={}KiB/t={}/p={}", self.m_kib, self.t, self.p)
    }

    /// The parameters, with low costs allowed (part of the grid is below the OWASP minimum
    /// on purpose).
    ///
    /// # Errors
    /// A [`HashingConfigError`](auth_core::HashingConfigError) if the point is outside
    /// Argon2's bounds.
    pub fn params(&self) -> Result<Argon2Params, auth_core::HashingConfigError> {
        Argon2Params::builder()
            .m_cost_kib(self.m_kib)
            .t_cost(self.t)
            .p_cost(self.p)
            .allow_insecure_low_cost()
            .build()
    }
}

/// The grid, m × t × p, in that order.
pub fn grid() -> impl Iterator<Item = Point> {
    GRID_M_MIB.into_iter().flat_map(|m| {
        GRID_T
            .into_iter()
            .flat_map(move |t| GRID_P.into_iter().map(move |p| Point { m_kib: m * 1024, t, p }))
    })
}

/// The five OWASP-equivalent settings ([`Argon2Params::OWASP_MINIMUMS`]), p = 1.
pub fn owasp() -> impl Iterator<Item = Point> {
    Argon2Params::OWASP_MINIMUMS.into_iter().map(|(m_kib, t)| Point { m_kib, t, p: 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_point_builds() {
        assert_eq!(grid().count(), 45);
        for point in grid().chain(owasp()) {
            point.params().unwrap();
        }
        assert_eq!(
            owasp().map(|p| p.id()).nth(1).as_deref(),
            Some("m=19456KiB/t=2/p=1"),
            "ids must stay parseable by report.py"
        );
    }
}

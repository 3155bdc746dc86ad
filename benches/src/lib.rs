//! Benchmarks of the auth library: placeholder until the benchmark issue (criterion benches
//! and HTTP load scripts live here then).
#![forbid(unsafe_code)]

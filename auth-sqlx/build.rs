//! Which database servers the tests may use, decided when the tests are built: with
//! `TEST_POSTGRES_URL` / `TEST_MYSQL_URL` set, `cfg(db_postgres)` / `cfg(db_mysql)`; without,
//! each test that needs the server is `#[ignore]`d with the variable it needs, so that a
//! test run says how many did not run and why instead of counting them as passed. The
//! tests of `auth-tests` and `task-service` use this same script.
fn main() {
    // `sqlx::migrate!` embeds auth-sqlx's migrations; a new one must rebuild the crate (the
    // crates that share this script have none).
    if std::path::Path::new("migrations").is_dir() {
        println!("cargo::rerun-if-changed=migrations");
    }
    // HAProxy, for the tests of several instances behind a load balancer (`auth-tests`
    // only): `cfg(haproxy)` when it is installed; under CI its absence fails the build
    // (`.ci/run` installs it).
    println!("cargo::rustc-check-cfg=cfg(haproxy)");
    if std::env::var("CARGO_PKG_NAME").as_deref() == Ok("auth-tests") {
        println!("cargo::rerun-if-env-changed=CI");
        let haproxy = ["haproxy", "/usr/sbin/haproxy"].iter().any(|p| {
            std::process::Command::new(p).arg("-v").output().is_ok_and(|o| o.status.success())
        });
        if haproxy {
            println!("cargo::rustc-cfg=haproxy");
        } else if std::env::var_os("CI").is_some() {
            panic!(
                "HAProxy is not installed (apt-get install haproxy): the balanced tests need it"
            );
        }
    }
    for (var, cfg) in [("TEST_POSTGRES_URL", "db_postgres"), ("TEST_MYSQL_URL", "db_mysql")] {
        println!("cargo::rerun-if-env-changed={var}");
        println!("cargo::rustc-check-cfg=cfg({cfg})");
        if std::env::var_os(var).is_some_and(|v| !v.is_empty()) {
            println!("cargo::rustc-cfg={cfg}");
        }
    }
}

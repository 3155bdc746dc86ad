//! The example task service. Placeholder until the axum/task-service issue: it states
//! that it serves nothing yet and exits with an error.

fn main() -> std::process::ExitCode {
    eprintln!(
        "task-service: the HTTP service is not built yet (see the auth-axum/task-service issue)"
    );
    std::process::ExitCode::FAILURE
}

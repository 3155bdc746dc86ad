//! `task-service`: the API served by axum. See `task-service --help`.

fn main() -> std::process::ExitCode {
    task_service::cli::run(task_service::http_axum::serve)
}

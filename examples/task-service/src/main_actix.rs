//! `task-service-actix`: the API served by actix-web. See `task-service-actix --help`.

fn main() -> std::process::ExitCode {
    task_service::cli::run(task_service::http_actix::serve)
}

//! Swagger UI, vendored into the binary (no CDN), pointed at `/openapi.json`. Shared by both
//! binaries: they only turn [`swagger_file`] into a response.

use std::{borrow::Cow, sync::Arc, sync::LazyLock};

use utoipa_swagger_ui::Config;

static CONFIG: LazyLock<Arc<Config<'static>>> = LazyLock::new(|| {
    // Tokens are not kept in the browser's storage: a script on the origin could read them.
    Arc::new(Config::new(["/openapi.json"]).persist_authorization(false).try_it_out_enabled(true))
});

/// A file of Swagger UI under `/docs/`: `(content type, bytes)`, or `None` if there is no
/// such file.
pub fn swagger_file(path: &str) -> Option<(String, Cow<'static, [u8]>)> {
    match utoipa_swagger_ui::serve(path.trim_start_matches('/'), CONFIG.clone()) {
        Ok(Some(file)) => Some((file.content_type, file.bytes)),
        Ok(None) => None,
        Err(e) => {
            tracing::error!(error = %e, "swagger ui");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_is_served_from_the_binary_without_a_cdn() {
        let (ct, body) = swagger_file("").unwrap();
        assert!(ct.starts_with("text/html"));
        let html = String::from_utf8_lossy(&body).to_lowercase();
        assert!(html.contains("swagger"));
        assert!(!html.contains("unpkg") && !html.contains("cdn."));
        let (_, init) = swagger_file("swagger-initializer.js").unwrap();
        assert!(String::from_utf8_lossy(&init).contains("/openapi.json"));
        assert!(swagger_file("no-such-file.js").is_none());
    }
}

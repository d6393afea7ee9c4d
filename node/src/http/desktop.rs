//! The agent and supervisor desktop: a static page served by every client-serving node.
//!
//! The page is plain HTML, CSS and JavaScript embedded in the binary (`node/assets/desktop/`):
//! no build step, no CDN, nothing fetched from elsewhere. It speaks the CTI protocol's JSON
//! encoding over `GET /api/v1/cti` on the node that served it (`cti.rs`), so it needs no token
//! and sees only what its user may see.

use actix_web::http::header;
use actix_web::{web, HttpResponse};

const INDEX_HTML: &str = include_str!("../../assets/desktop/index.html");
const DESKTOP_CSS: &str = include_str!("../../assets/desktop/desktop.css");
const DESKTOP_JS: &str = include_str!("../../assets/desktop/desktop.js");

/// Only this origin, and WebSockets back to it; no inline script or style.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; frame-ancestors 'none'; \
     base-uri 'none'; form-action 'none'";

/// `/desktop` and its assets, and `/` sending browsers there.
pub fn configure(config: &mut web::ServiceConfig) {
    config
        .route("/", web::get().to(root))
        .route("/desktop", web::get().to(index))
        .route("/desktop/", web::get().to(index))
        .route("/desktop/desktop.css", web::get().to(css))
        .route("/desktop/desktop.js", web::get().to(js));
}

fn asset(content_type: &'static str, body: &'static str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, content_type))
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .body(body)
}

async fn root() -> HttpResponse {
    HttpResponse::Found().insert_header((header::LOCATION, "/desktop")).finish()
}

async fn index() -> HttpResponse {
    asset("text/html; charset=utf-8", INDEX_HTML)
}

async fn css() -> HttpResponse {
    asset("text/css; charset=utf-8", DESKTOP_CSS)
}

async fn js() -> HttpResponse {
    asset("text/javascript; charset=utf-8", DESKTOP_JS)
}

#[cfg(test)]
mod tests {
    use actix_web::test::{call_service, init_service, TestRequest};
    use actix_web::App;

    use super::*;

    #[actix_web::test]
    async fn serves_the_page_and_its_assets_with_the_policy() {
        let app = init_service(App::new().configure(configure)).await;
        for (path, kind) in [
            ("/desktop", "text/html"),
            ("/desktop/desktop.css", "text/css"),
            ("/desktop/desktop.js", "text/javascript"),
        ] {
            let response = call_service(&app, TestRequest::get().uri(path).to_request()).await;
            assert_eq!(response.status(), 200, "{path}");
            let header = |name| response.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default();
            assert!(header(header::CONTENT_TYPE).starts_with(kind), "{path}");
            assert_eq!(header(header::CONTENT_SECURITY_POLICY), CONTENT_SECURITY_POLICY, "{path}");
        }
        let response = call_service(&app, TestRequest::get().uri("/").to_request()).await;
        assert_eq!(response.status(), 302);
        assert_eq!(response.headers().get(header::LOCATION).and_then(|value| value.to_str().ok()), Some("/desktop"));
    }

    #[test]
    fn the_page_loads_nothing_from_elsewhere() {
        for text in [INDEX_HTML, DESKTOP_CSS, DESKTOP_JS] {
            assert!(!text.contains("http://") && !text.contains("https://"), "an external URL in an asset");
            assert!(!text.contains("@import"), "an imported stylesheet");
        }
        assert!(!INDEX_HTML.contains("<script>") && !INDEX_HTML.contains(" style="), "inline script or style");
        assert!(INDEX_HTML.contains("desktop.js") && INDEX_HTML.contains("desktop.css"));
    }
}

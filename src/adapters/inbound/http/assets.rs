//! The browser client: the files under `web/`, embedded in the binary at compile time and served at
//! `/` (lobby and table), `/dashboard`, `/api/docs` (the REST API, rendered from `/api/openapi.json`)
//! and `/assets/…`, so any build of `caravan` is playable from a
//! browser with no files beside it. This module only serves bytes; it never touches game state.
//!
//! Caching: file names carry no content hash, so every response says `no-cache` with a strong ETag
//! (a hash of the bytes): browsers revalidate and get `304 Not Modified` until a new binary ships.

use std::sync::OnceLock;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};

use super::errors::ApiError;

/// One embedded file.
struct Asset {
    /// Path under `web/`, e.g. `"assets/js/app.js"`.
    path: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($path:literal) => {
        Asset {
            path: $path,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $path)),
        }
    };
}

/// Every file of `web/`; a test below fails when a file is added there but not here.
static ASSETS: &[Asset] = &[
    asset!("index.html"),
    asset!("dashboard.html"),
    asset!("api-docs.html"),
    asset!("assets/style.css"),
    asset!("assets/api-docs.css"),
    asset!("assets/js/api.js"),
    asset!("assets/js/api-docs.js"),
    asset!("assets/js/app.js"),
    asset!("assets/js/cards.js"),
    asset!("assets/js/charts.js"),
    asset!("assets/js/dashboard.js"),
    asset!("assets/js/describe.js"),
    asset!("assets/js/dom.js"),
    asset!("assets/js/game.js"),
    asset!("assets/js/metrics.js"),
    asset!("assets/js/pickers.js"),
    asset!("assets/js/rematch.js"),
    asset!("assets/js/replay.js"),
    asset!("assets/js/score.js"),
    asset!("assets/js/seats.js"),
    asset!("assets/js/socket.js"),
    asset!("assets/js/patch.js"),
    asset!("assets/js/sound.js"),
    asset!("assets/js/spices.js"),
    asset!("assets/js/table.js"),
    asset!("assets/js/versus.js"),
    // uPlot (MIT, see its LICENSE), drawing the dashboard's charts.
    asset!("assets/vendor/uplot/LICENSE"),
    asset!("assets/vendor/uplot/uPlot.esm.js"),
    asset!("assets/vendor/uplot/uPlot.min.css"),
];

/// Pages may load scripts, styles and sockets from this server only.
const PAGE_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// Registers the pages and their assets.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/").route(web::get().to(index)))
        .service(web::resource("/index.html").route(web::get().to(index)))
        .service(web::resource("/dashboard").route(web::get().to(dashboard)))
        .service(web::resource("/api/docs").route(web::get().to(api_docs)))
        .service(web::resource("/assets/{path:.*}").route(web::get().to(asset)));
}

async fn index(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "index.html")
}

async fn dashboard(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "dashboard.html")
}

async fn api_docs(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    serve(&req, "api-docs.html")
}

async fn asset(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    serve(&req, &format!("assets/{}", path.into_inner()))
}

/// The embedded file at `path` (exact match against the list: no file system, no `..`), or 404.
fn serve(req: &HttpRequest, path: &str) -> Result<HttpResponse, ApiError> {
    let (index, asset) = ASSETS
        .iter()
        .enumerate()
        .find(|(_, a)| a.path == path)
        .ok_or(ApiError::NoRoute)?;
    let etag = &etags()[index];
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim() == etag || tag.trim() == "*")
        });
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    response
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::ETAG, etag.as_str()))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"));
    if path.ends_with(".html") {
        response.insert_header((header::CONTENT_SECURITY_POLICY, PAGE_POLICY));
    }
    if fresh {
        return Ok(response.finish());
    }
    Ok(response.content_type(content_type(path)).body(asset.body))
}

/// The content type by extension; everything in `web/` is one of these.
fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

/// One strong ETag per asset (FNV-1a of the bytes), computed on first use.
fn etags() -> &'static [String] {
    static ETAGS: OnceLock<Vec<String>> = OnceLock::new();
    ETAGS.get_or_init(|| {
        ASSETS
            .iter()
            .map(|a| {
                let hash = a.body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
                    (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
                });
                format!("\"{hash:016x}\"")
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test as http_test;
    use actix_web::App;

    fn files_under(dir: &std::path::Path, root: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("web/ is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                files_under(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).expect("under web/");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn every_file_under_web_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut files = Vec::new();
        files_under(&root, &root, &mut files);
        let embedded: Vec<&str> = ASSETS.iter().map(|a| a.path).collect();
        for file in &files {
            assert!(
                embedded.contains(&file.as_str()),
                "web/{file} is not listed in ASSETS"
            );
        }
        assert_eq!(
            files.len(),
            ASSETS.len(),
            "ASSETS lists a file that is not under web/"
        );
    }

    #[actix_web::test]
    async fn the_lobby_is_served_at_the_root_with_no_cache_and_an_etag() {
        let app = http_test::init_service(App::new().configure(routes)).await;
        let res =
            http_test::call_service(&app, http_test::TestRequest::get().uri("/").to_request())
                .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get(header::CONTENT_TYPE).unwrap(),
            "text/html; charset=utf-8"
        );
        assert_eq!(
            res.headers().get(header::CACHE_CONTROL).unwrap(),
            "no-cache"
        );
        assert!(res.headers().get(header::CONTENT_SECURITY_POLICY).is_some());
        let etag = res.headers().get(header::ETAG).unwrap().clone();

        let again = http_test::TestRequest::get()
            .uri("/")
            .insert_header((header::IF_NONE_MATCH, etag))
            .to_request();
        let res = http_test::call_service(&app, again).await;
        assert_eq!(res.status(), 304);
    }

    #[actix_web::test]
    async fn scripts_and_styles_have_their_content_types_and_unknown_files_are_404() {
        let app = http_test::init_service(App::new().configure(routes)).await;
        for (uri, ty) in [
            ("/assets/js/app.js", "text/javascript; charset=utf-8"),
            ("/assets/style.css", "text/css; charset=utf-8"),
            ("/dashboard", "text/html; charset=utf-8"),
        ] {
            let res =
                http_test::call_service(&app, http_test::TestRequest::get().uri(uri).to_request())
                    .await;
            assert_eq!(res.status(), 200, "{uri}");
            assert_eq!(
                res.headers().get(header::CONTENT_TYPE).unwrap(),
                ty,
                "{uri}"
            );
        }
        for uri in ["/assets/nope.js", "/assets/../Cargo.toml", "/assets/"] {
            let res =
                http_test::call_service(&app, http_test::TestRequest::get().uri(uri).to_request())
                    .await;
            assert_eq!(res.status(), 404, "{uri}");
        }
    }
}

//! # xunren-web
//!
//! The web app of xunren (寻人): server-rendered pages that work on a phone browser without a
//! JavaScript build, for staff (工作人员) working their leads in the lanes and supervisors (督导)
//! reading the day's figures; and the JSON API under `/api/v1` (OpenAPI document at
//! `/api/v1/openapi.json`). It shows and drives what `xunren-tasks` and `xunren-registry`
//! provide; it does not re-implement the workflow.
//!
//! Public surface:
//! - [`router`] / [`serve`]: the app on an address, with graceful shutdown;
//! - [`account`]: accounts (argon2id) and roles, used by `xunren user add`;
//! - [`Config`], [`AppState`].
//!
//! Where things live: [`auth`] (session cookie → [`auth::Viewer`], CSRF, sign-in rate limit),
//! [`access`] (the role rules, one place), [`audit`] (who viewed whose personal data),
//! `pages/` (HTML handlers and `templates/`), [`api`] (JSON + OpenAPI), `svg` (the burn-down
//! chart), `jobs` (matching and assignment run in the background with progress).
//!
//! Invariants: every role boundary is checked on the server before any data is read for the
//! response; every form carries the session's CSRF token and every API write the
//! `X-CSRF-Token` header; lists mask names, ID numbers and phones; every whole view of a
//! person's data writes a `view_audit` row; logs carry ids, never personal data.

pub mod access;
pub mod account;
pub mod api;
pub mod audit;
pub mod auth;
pub mod entity;
pub mod error;
pub mod i18n;
pub mod imports;
pub mod jobs;
pub(crate) mod pages;
pub mod schedule;
pub mod session;
mod svg;
pub mod view;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;
use axum::routing::get;
use sea_orm::DatabaseConnection;

/// Settings of the server.
#[derive(Clone, Debug)]
pub struct Config {
    /// Mark cookies `Secure` (set when serving behind TLS; also per request when a proxy sends
    /// `X-Forwarded-Proto: https`).
    pub secure_cookies: bool,
    /// Failed sign-ins allowed per account name within [`Config::login_window`].
    pub login_failures_per_name: usize,
    /// Failed sign-ins allowed per client address within [`Config::login_window`].
    pub login_failures_per_client: usize,
    pub login_window: Duration,
    /// Directory for uploaded files while they are imported.
    pub upload_dir: std::path::PathBuf,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            secure_cookies: false,
            login_failures_per_name: 5,
            login_failures_per_client: 50,
            login_window: Duration::from_secs(600),
            upload_dir: std::env::temp_dir(),
        }
    }
}

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub config: Arc<Config>,
    pub limiter: Arc<auth::LoginLimiter>,
    jobs: jobs::Jobs,
}

impl AppState {
    /// The state of an app on `db` with `config`.
    pub fn new(db: DatabaseConnection, config: Config) -> AppState {
        AppState {
            db,
            limiter: Arc::new(auth::LoginLimiter::new(
                config.login_failures_per_name,
                config.login_failures_per_client,
                config.login_window,
            )),
            config: Arc::new(config),
            jobs: jobs::Jobs::default(),
        }
    }
}

const APP_CSS: &str = include_str!("../static/app.css");

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("max-age=3600"),
            ),
        ],
        APP_CSS,
    )
}

async fn health(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (axum::http::StatusCode::OK, "ok"),
        Err(_) => (
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            "database unavailable",
        ),
    }
}

/// The whole app: pages, API, static files and `/health`.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .route("/static/app.css", get(stylesheet))
        .route("/health", get(health))
        .layer(axum::middleware::from_fn(security_headers))
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                // Paths carry ids, never personal data; query strings are left out.
                |request: &axum::http::Request<axum::body::Body>| {
                    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
                },
            ),
        )
        .with_state(state)
}

async fn security_headers(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Serves the app on `listener` until `shutdown` completes, then finishes the requests in flight.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

//! 登录 Sign-in, sign-out, the home redirect by role, and the language switch.

use std::net::SocketAddr;

use askama::Template;
use askama_web::WebTemplate;
use axum::Form;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::Chrome;
use crate::account::{self, Role};
use crate::auth::Viewer;
use crate::error::{WebError, WebResult};
use crate::i18n::Lang;
use crate::{AppState, session};

#[derive(Template, WebTemplate)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub page: Chrome,
    pub error: Option<String>,
    pub name: String,
}

/// `/`: where each role starts.
pub async fn home(viewer: Result<Viewer, WebError>) -> Redirect {
    match viewer {
        Ok(v) => Redirect::to(start_page(v.role)),
        Err(_) => Redirect::to("/login"),
    }
}

fn start_page(role: Role) -> &'static str {
    match role {
        Role::Staff | Role::Leader => "/leads",
        Role::Supervisor => "/dashboard",
        Role::Admin => "/admin",
    }
}

fn lang_of(headers: &HeaderMap) -> Lang {
    Lang::from_headers(headers)
}

/// `GET /login`.
pub async fn form(headers: HeaderMap) -> LoginPage {
    let lang = lang_of(&headers);
    LoginPage {
        page: Chrome::anonymous(lang, lang.text().sign_in),
        error: None,
        name: String::new(),
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    pub name: String,
    pub password: String,
}

/// Checks the rate limit, then the credentials; returns the new session's cookie token.
pub async fn sign_in(
    state: &AppState,
    client: &str,
    name: &str,
    password: &str,
) -> Result<(String, crate::entity::user::Model, String), WebError> {
    if let Some(wait) = state.limiter.blocked_for(name, client) {
        tracing::warn!(client, "sign-in refused: rate limit");
        return Err(WebError::TooManyAttempts(wait));
    }
    match account::authenticate(&state.db, name, password).await {
        Ok(user) => {
            state.limiter.succeeded(name);
            let (token, row) = session::create(&state.db, &user).await?;
            tracing::info!(user_id = user.id, "signed in");
            Ok((token, user, row.csrf_token))
        }
        Err(WebError::BadCredentials) => {
            state.limiter.failed(name, client);
            tracing::warn!(client, "sign-in failed");
            Err(WebError::BadCredentials)
        }
        Err(e) => Err(e),
    }
}

/// `POST /login`. A login form needs no CSRF token (there is no session yet); SameSite=Strict
/// keeps the new cookie away from other sites.
pub async fn submit(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<Credentials>,
) -> Response {
    let lang = lang_of(&headers);
    let secure = state.config.secure_cookies
        || headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
    match sign_in(&state, &addr.ip().to_string(), &form.name, &form.password).await {
        Ok((token, user, _)) => {
            let role = Role::parse(&user.role).unwrap_or(Role::Staff);
            (
                [(header::SET_COOKIE, session::cookie(&token, secure))],
                Redirect::to(start_page(role)),
            )
                .into_response()
        }
        Err(e @ (WebError::BadCredentials | WebError::TooManyAttempts(_))) => {
            let status = e.status();
            (
                status,
                LoginPage {
                    page: Chrome::anonymous(lang, lang.text().sign_in),
                    error: Some(e.to_string()),
                    name: form.name.chars().take(64).collect(),
                },
            )
                .into_response()
        }
        Err(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

/// `POST /logout`.
pub async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    Form(form): Form<CsrfOnly>,
) -> WebResult<Response> {
    viewer.check_csrf(&form.csrf)?;
    let token = session::cookie_in(&headers, session::COOKIE).unwrap_or_default();
    session::delete(&state.db, &token).await?;
    Ok((
        [(header::SET_COOKIE, session::removal_cookie(viewer.secure))],
        Redirect::to("/login"),
    )
        .into_response())
}

/// `GET /lang/zh|en`: sets the language cookie and goes back.
pub async fn switch_lang(Path(code): Path<String>, headers: HeaderMap) -> Response {
    let value = if code == "en" { "en" } else { "zh" };
    let back = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| {
            r.find("//")
                .and_then(|i| r[i + 2..].find('/').map(|j| &r[i + 2 + j..]))
        })
        .filter(|p| p.starts_with('/') && !p.starts_with("//"))
        .unwrap_or("/")
        .to_string();
    (
        [(
            header::SET_COOKIE,
            format!("lang={value}; Path=/; SameSite=Strict; Max-Age=31536000"),
        )],
        Redirect::to(&back),
    )
        .into_response()
}

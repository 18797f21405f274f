//! Who is asking: the [`Viewer`] extractor (session cookie → account), the API variant
//! [`ApiViewer`] (which also checks the `X-CSRF-Token` header of every write), the CSRF check of
//! forms and the sign-in rate limit ([`LoginLimiter`]).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::request::Parts;

use crate::AppState;
use crate::account::Role;
use crate::error::{ApiError, WebError};
use crate::i18n::Lang;
use crate::session;

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user_id: i32,
    pub name: String,
    pub role: Role,
    /// The staff record of a staff or leader account.
    pub staff_id: Option<i32>,
    /// The team (小组) of that staff record.
    pub team: Option<String>,
    /// The base a supervisor oversees (none: all).
    pub base_id: Option<i32>,
    /// The session's CSRF token.
    pub csrf: String,
    pub lang: Lang,
    /// Whether cookies must be `Secure` (request came over TLS).
    pub secure: bool,
}

impl Viewer {
    /// Fails with 403 unless the role is one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), WebError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(WebError::Forbidden)
        }
    }

    /// Checks the CSRF token a form carried.
    pub fn check_csrf(&self, token: &str) -> Result<(), WebError> {
        if constant_time_eq(token.as_bytes(), self.csrf.as_bytes()) {
            Ok(())
        } else {
            Err(WebError::Csrf)
        }
    }

    /// The workflow actor for changes this viewer makes.
    pub fn actor(&self) -> xunren_tasks::Actor {
        match self.staff_id {
            Some(id) => xunren_tasks::Actor {
                id: Some(id),
                name: self.name.clone(),
            },
            None => xunren_tasks::Actor {
                id: None,
                name: self.name.clone(),
            },
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Whether the request came over TLS (directly or through a proxy that says so).
pub fn is_secure(parts: &Parts, state: &AppState) -> bool {
    state.config.secure_cookies
        || parts
            .headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

/// The session token of the request's cookie.
pub fn token_of(parts: &Parts) -> Option<String> {
    session::cookie_in(&parts.headers, session::COOKIE)
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        if let Some(viewer) = parts.extensions.get::<Viewer>() {
            return Ok(viewer.clone());
        }
        let token = token_of(parts).ok_or(WebError::Unauthenticated)?;
        let signed_in = session::find(&state.db, &token)
            .await?
            .ok_or(WebError::Unauthenticated)?;
        let role = Role::parse(&signed_in.role)?;
        let viewer = Viewer {
            user_id: signed_in.user_id,
            name: signed_in.name,
            role,
            staff_id: signed_in.staff_id,
            team: signed_in.team,
            base_id: signed_in.base_id,
            csrf: signed_in.csrf_token,
            lang: Lang::of(parts),
            secure: is_secure(parts, state),
        };
        parts.extensions.insert(viewer.clone());
        Ok(viewer)
    }
}

/// The signed-in user of an API request; writes (anything but GET/HEAD) must carry the session's
/// CSRF token in `X-CSRF-Token`.
#[derive(Clone, Debug)]
pub struct ApiViewer(pub Viewer);

impl FromRequestParts<AppState> for ApiViewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            viewer.check_csrf(given)?;
        }
        Ok(ApiViewer(viewer))
    }
}

/// Sign-in rate limit: at most `per_name` failures per account name and `per_client` per
/// client address within `window`; further attempts are refused until the window has passed.
/// Kept in memory per app instance.
pub struct LoginLimiter {
    per_name: usize,
    per_client: usize,
    window: Duration,
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// A limiter of `per_name` / `per_client` failures per `window`.
    pub fn new(per_name: usize, per_client: usize, window: Duration) -> LoginLimiter {
        LoginLimiter {
            per_name,
            per_client,
            window,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(name: &str, client: &str) -> [String; 2] {
        [
            format!("n:{}", name.trim().to_lowercase()),
            format!("c:{client}"),
        ]
    }

    /// Seconds to wait before `name` may try again from `client`, if it must wait.
    pub fn blocked_for(&self, name: &str, client: &str) -> Option<u64> {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let [by_name, by_client] = Self::keys(name, client);
        let mut wait = None;
        for (key, limit) in [(by_name, self.per_name), (by_client, self.per_client)] {
            if let Some(list) = map.get_mut(&key) {
                list.retain(|t| now.duration_since(*t) < self.window);
                if list.len() >= limit
                    && let Some(first) = list.first()
                {
                    let left = self.window.saturating_sub(now.duration_since(*first));
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
                }
            }
        }
        wait
    }

    /// Records a failed sign-in.
    pub fn failed(&self, name: &str, client: &str) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, list| list.iter().any(|t| now.duration_since(*t) < self.window));
        }
        for key in Self::keys(name, client) {
            map.entry(key).or_default().push(now);
        }
    }

    /// Forgets the failures of `name` after a successful sign-in.
    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let [by_name, _] = Self::keys(name, "");
        map.remove(&by_name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_blocks_after_failures_and_forgets_on_success() {
        let limiter = LoginLimiter::new(3, 10, Duration::from_secs(60));
        for _ in 0..3 {
            assert_eq!(limiter.blocked_for("wang", "1.2.3.4"), None);
            limiter.failed("Wang ", "1.2.3.4");
        }
        assert!(limiter.blocked_for("wang", "5.6.7.8").is_some(), "per name");
        assert_eq!(limiter.blocked_for("li", "1.2.3.4"), None);
        limiter.succeeded("wang");
        assert_eq!(limiter.blocked_for("wang", "1.2.3.4"), None);
    }

    #[test]
    fn limiter_blocks_a_client_spraying_names() {
        let limiter = LoginLimiter::new(100, 4, Duration::from_secs(60));
        for i in 0..4 {
            limiter.failed(&format!("user{i}"), "9.9.9.9");
        }
        assert!(limiter.blocked_for("someone", "9.9.9.9").is_some());
        assert_eq!(limiter.blocked_for("someone", "8.8.8.8"), None);
    }

    #[test]
    fn csrf_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
    }
}

//! Errors of the web app, rendered as an HTML page ([`WebError`]) or as JSON ([`ApiError`]).
//! Every message a user sees is in Chinese and English; internal errors are logged (without
//! personal data) and shown only as "internal error".

use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use xunren_tasks::TaskError;

/// An error of a request.
#[derive(Debug, thiserror::Error)]
pub enum WebError {
    /// Not signed in (未登录).
    #[error("未登录 / not signed in")]
    Unauthenticated,
    /// Signed in, but the role or scope does not allow this (无权限).
    #[error("无权限 / forbidden")]
    Forbidden,
    /// Nothing there, or nothing the viewer may know exists.
    #[error("未找到 / not found")]
    NotFound,
    /// The form's CSRF token is missing or wrong.
    #[error("表单已过期，请刷新后重试 / the form has expired: reload and try again")]
    Csrf,
    /// Too many failed sign-ins.
    #[error("登录失败次数过多，请 {0} 秒后再试 / too many failed sign-ins: try again in {0} s")]
    TooManyAttempts(u64),
    /// Wrong name or password (the same message for both).
    #[error("用户名或密码错误 / wrong name or password")]
    BadCredentials,
    /// Bad input, with a bilingual message.
    #[error("{zh} / {en}")]
    BadRequest { zh: String, en: String },
    /// A workflow rule refused the change (its message is bilingual already).
    #[error("{0}")]
    Task(TaskError),
    /// The database failed.
    #[error("数据库错误 / database error")]
    Db(#[from] sea_orm::DbErr),
    /// Something else failed inside.
    #[error("内部错误 / internal error")]
    Internal(String),
}

impl WebError {
    /// A bad-request error with a Chinese and an English message.
    pub fn bad(zh: impl Into<String>, en: impl Into<String>) -> WebError {
        WebError::BadRequest {
            zh: zh.into(),
            en: en.into(),
        }
    }

    /// The HTTP status of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::Unauthenticated | WebError::BadCredentials => StatusCode::UNAUTHORIZED,
            WebError::Forbidden | WebError::Csrf => StatusCode::FORBIDDEN,
            WebError::NotFound => StatusCode::NOT_FOUND,
            WebError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            WebError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            WebError::Task(e) => match e {
                TaskError::NotFound { .. } => StatusCode::NOT_FOUND,
                TaskError::Database(_) | TaskError::Output(_) => StatusCode::INTERNAL_SERVER_ERROR,
                TaskError::ClaimLost(_) => StatusCode::CONFLICT,
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            },
            WebError::Db(_) | WebError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A stable code for API clients.
    pub fn code(&self) -> &'static str {
        match self {
            WebError::Unauthenticated => "unauthenticated",
            WebError::Forbidden => "forbidden",
            WebError::NotFound => "not_found",
            WebError::Csrf => "csrf",
            WebError::TooManyAttempts(_) => "too_many_attempts",
            WebError::BadCredentials => "bad_credentials",
            WebError::BadRequest { .. } => "bad_request",
            WebError::Task(TaskError::NotFound { .. }) => "not_found",
            WebError::Task(_) => "rejected",
            WebError::Db(_) | WebError::Internal(_) => "internal",
        }
    }

    /// The message shown to the user: internal details stay in the log.
    pub fn public_message(&self) -> String {
        if self.status().is_server_error() {
            tracing::error!(error = %self.internal_detail(), "request failed");
            return "内部错误 / internal error".to_string();
        }
        self.to_string()
    }

    fn internal_detail(&self) -> String {
        match self {
            WebError::Db(e) => e.to_string(),
            WebError::Task(e) => e.to_string(),
            WebError::Internal(e) => e.clone(),
            other => other.to_string(),
        }
    }
}

impl From<TaskError> for WebError {
    fn from(e: TaskError) -> Self {
        match e {
            TaskError::Database(db) => WebError::Db(db),
            other => WebError::Task(other),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        if matches!(self, WebError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        let status = self.status();
        let message = escape_html(&self.public_message());
        let body = format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{code} · 寻人</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
             <body><main class=\"error\"><h1>{code}</h1><p id=\"error-message\">{message}</p>\
             <p><a href=\"/\">返回 / back</a></p></main></body></html>",
            code = status.as_u16(),
        );
        (status, axum::response::Html(body)).into_response()
    }
}

/// An error of the JSON API: `{"error": {"code": …, "message": …}}` with the HTTP status.
#[derive(Debug)]
pub struct ApiError(pub WebError);

impl<E: Into<WebError>> From<E> for ApiError {
    fn from(e: E) -> Self {
        ApiError(e.into())
    }
}

/// The body of an API error.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable code: unauthenticated, forbidden, not_found, csrf, bad_request, rejected …
    pub code: String,
    /// Chinese / English message.
    pub message: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.0.code().to_string(),
                message: self.0.public_message(),
            },
        };
        (self.0.status(), axum::Json(body)).into_response()
    }
}

/// Results of page handlers.
pub type WebResult<T> = Result<T, WebError>;
/// Results of API handlers.
pub type ApiResult<T> = Result<T, ApiError>;

/// Escapes text for HTML outside templates.
pub(crate) fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

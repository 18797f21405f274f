//! 会话 Sessions: a random 256-bit token in an HttpOnly, SameSite=Strict cookie; the database
//! keeps its SHA-256, the user and the CSRF token of the session. Sessions live
//! [`SESSION_HOURS`] hours; signing out deletes the row.

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use sha2::{Digest, Sha256};

use crate::entity::{session, user};
use crate::error::WebError;

/// Name of the session cookie.
pub const COOKIE: &str = "xunren_session";
/// How long a session lives.
pub const SESSION_HOURS: i64 = 12;

/// A fresh random token, hex (64 characters).
pub fn random_token() -> Result<String, WebError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| WebError::Internal(format!("getrandom: {e}")))?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(out, "{b:02x}");
    }
    out
}

/// The key under which a token's session is stored.
pub fn token_key(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// A new session for `user`: returns the cookie token and the stored row.
pub async fn create<C: ConnectionTrait>(
    db: &C,
    user: &user::Model,
) -> Result<(String, session::Model), WebError> {
    let token = random_token()?;
    let now = chrono::Utc::now();
    let model = session::ActiveModel {
        id: Set(token_key(&token)),
        user_id: Set(user.id),
        csrf_token: Set(random_token()?),
        created_at: Set(now),
        expires_at: Set(now + chrono::Duration::hours(SESSION_HOURS)),
    }
    .insert(db)
    .await?;
    // Expired sessions of anyone go when someone signs in.
    session::Entity::delete_many()
        .filter(session::Column::ExpiresAt.lt(now))
        .exec(db)
        .await?;
    Ok((token, model))
}

/// A live session with its account and the team of the account's staff record: what every
/// signed-in request needs, read in one query.
#[derive(Clone, Debug, sea_orm::FromQueryResult)]
pub struct SignedIn {
    pub csrf_token: String,
    pub user_id: i32,
    pub name: String,
    pub role: String,
    pub staff_id: Option<i32>,
    pub base_id: Option<i32>,
    pub team: Option<String>,
}

/// The live session of `token` (not expired, account not disabled), if any.
pub async fn find<C: ConnectionTrait>(db: &C, token: &str) -> Result<Option<SignedIn>, WebError> {
    if token.len() != 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Ok(None);
    }
    let backend = db.get_database_backend();
    let statement = sea_orm::Statement::from_sql_and_values(
        backend,
        match backend {
            sea_orm::DbBackend::Postgres => SIGNED_IN_SQL_PG,
            _ => SIGNED_IN_SQL,
        },
        [token_key(token).into(), chrono::Utc::now().into()],
    );
    Ok(
        <SignedIn as sea_orm::FromQueryResult>::find_by_statement(statement)
            .one(db)
            .await?,
    )
}

const SIGNED_IN_SQL: &str = "SELECT s.csrf_token, u.id AS user_id, u.name, u.role, u.staff_id, \
     u.base_id, st.team FROM sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN staff st ON st.id = u.staff_id \
     WHERE s.id = ? AND s.expires_at > ? AND u.disabled = FALSE";
const SIGNED_IN_SQL_PG: &str = "SELECT s.csrf_token, u.id AS user_id, u.name, u.role, u.staff_id, \
     u.base_id, st.team FROM sessions s JOIN users u ON u.id = s.user_id \
     LEFT JOIN staff st ON st.id = u.staff_id \
     WHERE s.id = $1 AND s.expires_at > $2 AND u.disabled = FALSE";

/// Ends the session of `token`.
pub async fn delete<C: ConnectionTrait>(db: &C, token: &str) -> Result<(), WebError> {
    session::Entity::delete_by_id(token_key(token))
        .exec(db)
        .await?;
    Ok(())
}

/// The `Set-Cookie` value that stores `token` (`secure` behind TLS).
pub fn cookie(token: &str, secure: bool) -> String {
    format!(
        "{COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age={}{}",
        SESSION_HOURS * 3600,
        if secure { "; Secure" } else { "" }
    )
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn removal_cookie(secure: bool) -> String {
    format!(
        "{COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The value of cookie `name` in the request's `Cookie` headers (a client may send several).
pub fn cookie_in(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|h| cookie_value(h, name).map(str::to_string))
}

/// The value of cookie `name` in a `Cookie` header.
pub fn cookie_value<'a>(header: &'a str, name: &str) -> Option<&'a str> {
    header.split(';').find_map(|part| {
        let (key, value) = part.trim().split_once('=')?;
        (key == name).then_some(value)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex() {
        let a = random_token().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, random_token().unwrap());
        assert_ne!(token_key(&a), a, "only the hash is stored");
    }

    #[test]
    fn cookies() {
        let c = cookie("abc", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.ends_with("Secure"));
        assert!(!cookie("abc", false).contains("Secure"));
        assert_eq!(
            cookie_value("a=1; xunren_session=zz; lang=en", COOKIE),
            Some("zz")
        );
        assert_eq!(cookie_value("lang=en", COOKIE), None);
    }
}

//! 账号 Accounts: users with an argon2id password hash and a [`Role`]; a staff or leader account
//! links to its staff record (工作人员), a supervisor's to the base it oversees.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier, phc::PasswordHash};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
};
use serde::Serialize;

use crate::entity::user;
use crate::error::WebError;

/// 角色 Role of an account. What each may see and do is decided on the server
/// ([`crate::access`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 管理员: imports files, manages staff and accounts, runs matching and assignment.
    Admin,
    /// 督导: reads everything of their base; personal data masked until a person is opened.
    Supervisor,
    /// 组长 team leader: their team's leads and cases.
    Leader,
    /// 工作人员 staff: their own leads and cases.
    Staff,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 4] = [Role::Admin, Role::Supervisor, Role::Leader, Role::Staff];

    /// The code stored in `users.role`.
    pub fn as_code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Staff => "staff",
        }
    }

    /// The Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "管理员",
            Role::Supervisor => "督导",
            Role::Leader => "组长",
            Role::Staff => "工作人员",
        }
    }

    /// Parses a code or the Chinese label.
    pub fn parse(text: &str) -> Result<Role, WebError> {
        let key = text.trim().to_ascii_lowercase();
        Role::ALL
            .into_iter()
            .find(|r| key == r.as_code() || key == r.label())
            .ok_or_else(|| {
                WebError::bad(
                    format!("未知角色「{text}」(admin/supervisor/leader/staff)"),
                    format!("unknown role {text:?} (admin, supervisor, leader, staff)"),
                )
            })
    }

    /// Whether this role works leads (and so needs a staff record).
    pub fn works_leads(self) -> bool {
        matches!(self, Role::Leader | Role::Staff)
    }
}

/// Shortest password accepted.
pub const MIN_PASSWORD_CHARS: usize = 8;

/// An account to create.
#[derive(Clone, Debug)]
pub struct NewUser {
    pub name: String,
    pub role: Role,
    pub password: String,
    /// The staff member (by name) a staff or leader account works as; required for those roles.
    pub staff: Option<String>,
    /// The base (by name) a supervisor oversees; none: every base.
    pub base: Option<String>,
}

/// Hashes `password` with argon2id and a fresh random salt (PHC string).
pub fn hash_password(password: &str) -> Result<String, WebError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| WebError::Internal(format!("argon2: {e}")))
}

/// Whether `password` matches the PHC string `hash`.
pub fn verify_password(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Creates an account (`xunren user add`). The name must be new, the password at least
/// [`MIN_PASSWORD_CHARS`] characters, and staff or leader accounts must name an existing staff
/// member.
pub async fn add_user<C: ConnectionTrait>(db: &C, new: &NewUser) -> Result<user::Model, WebError> {
    let name = new.name.trim();
    if name.is_empty() || name.chars().count() > 64 {
        return Err(WebError::bad(
            "用户名须为 1–64 个字符",
            "the user name must have 1 to 64 characters",
        ));
    }
    if new.password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WebError::bad(
            format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
            format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if user::Entity::find()
        .filter(user::Column::Name.eq(name))
        .one(db)
        .await?
        .is_some()
    {
        return Err(WebError::bad(
            format!("用户「{name}」已存在"),
            format!("user {name:?} exists already"),
        ));
    }
    let staff_id = match (&new.staff, new.role.works_leads()) {
        (Some(staff), _) => Some(xunren_tasks::staff::find_by_name(db, staff).await?.id),
        (None, true) => {
            return Err(WebError::bad(
                "工作人员和组长账号须用 --staff 关联工作人员",
                "staff and leader accounts must name their staff record (--staff)",
            ));
        }
        (None, false) => None,
    };
    let base_id = match &new.base {
        Some(base) => Some(xunren_tasks::vote::find_base(db, base).await?.id),
        None => None,
    };
    let password_hash = hash_password(&new.password)?;
    Ok(user::ActiveModel {
        name: Set(name.to_string()),
        role: Set(new.role.as_code().to_string()),
        password_hash: Set(password_hash),
        staff_id: Set(staff_id),
        base_id: Set(base_id),
        disabled: Set(false),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await?)
}

/// Sets a new password for `name`.
pub async fn set_password<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
) -> Result<(), WebError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(WebError::bad(
            format!("密码至少 {MIN_PASSWORD_CHARS} 个字符"),
            format!("the password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    let found = find(db, name).await?.ok_or(WebError::NotFound)?;
    let mut active: user::ActiveModel = found.into();
    active.password_hash = Set(hash_password(password)?);
    active.update(db).await?;
    Ok(())
}

/// The account named `name`, if any.
pub async fn find<C: ConnectionTrait>(db: &C, name: &str) -> Result<Option<user::Model>, WebError> {
    Ok(user::Entity::find()
        .filter(user::Column::Name.eq(name.trim()))
        .one(db)
        .await?)
}

/// The account whose name and password match, if it is not disabled. The password is verified
/// even when the name is unknown, so that timing does not tell which names exist.
pub async fn authenticate<C: ConnectionTrait>(
    db: &C,
    name: &str,
    password: &str,
) -> Result<user::Model, WebError> {
    let found = find(db, name).await?;
    let hash = found
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
        .await
        .map_err(|e| WebError::Internal(e.to_string()))?;
    match found {
        Some(user) if ok && !user.disabled => Ok(user),
        _ => Err(WebError::BadCredentials),
    }
}

/// A valid argon2id hash of a random password, verified against when the name is unknown.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$3wQy6oC3ZkjtKDwm1ACCyUIxnSTzTYdkWKcn+fHQ8Ps";

/// An account as listed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct UserRow {
    pub name: String,
    pub role: String,
    pub staff: Option<String>,
    pub disabled: bool,
}

/// Every account, by name.
pub async fn list<C: ConnectionTrait>(db: &C) -> Result<Vec<UserRow>, WebError> {
    use sea_orm::QueryOrder;
    let staff: std::collections::HashMap<i32, String> = xunren_tasks::entity::staff::Entity::find()
        .all(db)
        .await?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect();
    Ok(user::Entity::find()
        .order_by_asc(user::Column::Name)
        .all(db)
        .await?
        .into_iter()
        .map(|u| UserRow {
            staff: u.staff_id.and_then(|id| staff.get(&id).cloned()),
            name: u.name,
            role: u.role,
            disabled: u.disabled,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$"), "{a}");
        assert_ne!(a, b, "a fresh salt each time");
        assert!(verify_password("correct horse", &a));
        assert!(!verify_password("correct horsE", &a));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn dummy_hash_is_a_real_hash() {
        assert!(PasswordHash::new(DUMMY_HASH).is_ok());
        assert!(!verify_password("", DUMMY_HASH));
    }

    #[test]
    fn roles_parse() {
        assert_eq!(Role::parse("督导").unwrap(), Role::Supervisor);
        assert_eq!(Role::parse(" Admin ").unwrap(), Role::Admin);
        assert!(Role::parse("root").is_err());
    }
}

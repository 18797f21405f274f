//! Entities of the tables the web app owns (migration `m20261128_000004_create_accounts`).

pub mod session;
pub mod user;
pub mod view_audit;

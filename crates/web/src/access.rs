//! 权限 Access rules, enforced on the server for pages and API alike:
//! - staff (工作人员) see and change only the leads assigned to them, and read the cases those
//!   leads belong to;
//! - team leaders (组长) the same for every member of their team;
//! - supervisors (督导) read everything of their base (all bases if none is set), with ID
//!   numbers and phones masked until they open a person, and may reassign leads;
//! - admins (管理员) import and manage; they do not read cases.
//!
//! A request beyond these gets 403 with no data; something that does not exist gets 404.

use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use xunren_tasks::entity::{case, lead, staff};

use crate::account::Role;
use crate::auth::Viewer;
use crate::error::WebError;

/// What the viewer wants to do with a lead or case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Need {
    /// Read it.
    Read,
    /// Record attempts, close, spawn, change the case.
    Work,
}

/// Ids of the staff whose leads the viewer works: themself, or their whole team for a leader.
pub async fn workers<C: ConnectionTrait>(db: &C, viewer: &Viewer) -> Result<Vec<i32>, WebError> {
    let Some(own) = viewer.staff_id else {
        return Ok(Vec::new());
    };
    match (viewer.role, &viewer.team) {
        (Role::Leader, Some(team)) => {
            let mut ids: Vec<i32> = staff::Entity::find()
                .select_only()
                .column(staff::Column::Id)
                .filter(staff::Column::Team.eq(team.as_str()))
                .into_tuple()
                .all(db)
                .await?;
            if !ids.contains(&own) {
                ids.push(own);
            }
            Ok(ids)
        }
        _ => Ok(vec![own]),
    }
}

fn base_allows(viewer: &Viewer, base_id: i32) -> bool {
    viewer.base_id.is_none_or(|b| b == base_id)
}

/// The lead `lead_id` if the viewer may `need` it.
pub async fn lead<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    lead_id: i32,
    need: Need,
) -> Result<lead::Model, WebError> {
    let found = lead::Entity::find_by_id(lead_id)
        .one(db)
        .await?
        .ok_or(WebError::NotFound)?;
    match viewer.role {
        Role::Staff | Role::Leader => {
            let workers = workers(db, viewer).await?;
            if found.assignee_id.is_some_and(|a| workers.contains(&a)) {
                Ok(found)
            } else {
                Err(WebError::Forbidden)
            }
        }
        Role::Supervisor if need == Need::Read => {
            let owner = xunren_tasks::case::get(db, found.case_id).await?;
            if base_allows(viewer, owner.base_id) {
                Ok(found)
            } else {
                Err(WebError::Forbidden)
            }
        }
        _ => Err(WebError::Forbidden),
    }
}

/// The case `case_id` if the viewer may `need` it. Staff and leaders may read a case when one of
/// its leads (open or closed) is theirs, and work it when one of its open leads is.
pub async fn case<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    case_id: i32,
    need: Need,
) -> Result<case::Model, WebError> {
    let found = case::Entity::find_by_id(case_id)
        .one(db)
        .await?
        .ok_or(WebError::NotFound)?;
    match viewer.role {
        Role::Staff | Role::Leader => {
            let workers = workers(db, viewer).await?;
            let mut query = lead::Entity::find()
                .filter(lead::Column::CaseId.eq(case_id))
                .filter(lead::Column::AssigneeId.is_in(workers));
            if need == Need::Work {
                query = query.filter(lead::Column::Status.eq("open"));
            }
            if query.one(db).await?.is_some() {
                Ok(found)
            } else {
                Err(WebError::Forbidden)
            }
        }
        Role::Supervisor if need == Need::Read => {
            if base_allows(viewer, found.base_id) {
                Ok(found)
            } else {
                Err(WebError::Forbidden)
            }
        }
        _ => Err(WebError::Forbidden),
    }
}

/// The case of person `person_id` if the viewer may read it (the full, unmasked person view).
pub async fn person_case<C: ConnectionTrait>(
    db: &C,
    viewer: &Viewer,
    person_id: i32,
) -> Result<case::Model, WebError> {
    let found = case::Entity::find()
        .filter(case::Column::PersonId.eq(person_id))
        .one(db)
        .await?
        .ok_or(WebError::NotFound)?;
    case(db, viewer, found.id, Need::Read).await
}

/// Fails unless the viewer reads supervisors' figures (supervisors, and admins for the
/// aggregate dashboard).
pub fn dashboard(viewer: &Viewer) -> Result<(), WebError> {
    viewer.require(&[Role::Supervisor, Role::Admin])
}

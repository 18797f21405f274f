//! Bases and the small reference tables (departments, subdistricts, committees), found by name
//! and created on first use inside the importing transaction.

use std::collections::HashMap;

use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter,
};

use crate::entity::{base, committee, department, subdistrict};

/// The base named `name`, created with default thresholds when it does not exist.
pub async fn ensure_base<C: ConnectionTrait>(db: &C, name: &str) -> Result<base::Model, DbErr> {
    if let Some(found) = base::Entity::find()
        .filter(base::Column::Name.eq(name))
        .one(db)
        .await?
    {
        return Ok(found);
    }
    base::ActiveModel {
        name: Set(name.to_string()),
        district: Set(None),
        round1_date: Set(None),
        round1_threshold: Set(0.9),
        round2_start: Set(None),
        round2_end: Set(None),
        round2_threshold: Set(0.85),
        threshold_rule: Set("at_least".to_string()),
        created_at: Set(chrono::Utc::now()),
        ..Default::default()
    }
    .insert(db)
    .await
}

/// Name → id of the departments of one base, subdistricts and committees.
pub(crate) struct Lookups {
    base_id: i32,
    departments: HashMap<String, i32>,
    subdistricts: HashMap<String, i32>,
    committees: HashMap<(i32, String), i32>,
}

impl Lookups {
    pub(crate) async fn load<C: ConnectionTrait>(db: &C, base_id: i32) -> Result<Lookups, DbErr> {
        let departments = department::Entity::find()
            .filter(department::Column::BaseId.eq(base_id))
            .all(db)
            .await?
            .into_iter()
            .map(|d| (d.name, d.id))
            .collect();
        let subdistricts = subdistrict::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|s| (s.name, s.id))
            .collect();
        let committees = committee::Entity::find()
            .all(db)
            .await?
            .into_iter()
            .map(|c| ((c.subdistrict_id, c.name), c.id))
            .collect();
        Ok(Lookups {
            base_id,
            departments,
            subdistricts,
            committees,
        })
    }

    pub(crate) async fn department<C: ConnectionTrait>(
        &mut self,
        db: &C,
        name: &str,
    ) -> Result<i32, DbErr> {
        if let Some(id) = self.departments.get(name) {
            return Ok(*id);
        }
        let id = department::ActiveModel {
            base_id: Set(self.base_id),
            name: Set(name.to_string()),
            ..Default::default()
        }
        .insert(db)
        .await?
        .id;
        self.departments.insert(name.to_string(), id);
        Ok(id)
    }

    pub(crate) async fn subdistrict<C: ConnectionTrait>(
        &mut self,
        db: &C,
        name: &str,
    ) -> Result<i32, DbErr> {
        if let Some(id) = self.subdistricts.get(name) {
            return Ok(*id);
        }
        let id = subdistrict::ActiveModel {
            name: Set(name.to_string()),
            ..Default::default()
        }
        .insert(db)
        .await?
        .id;
        self.subdistricts.insert(name.to_string(), id);
        Ok(id)
    }

    pub(crate) async fn committee<C: ConnectionTrait>(
        &mut self,
        db: &C,
        subdistrict_id: i32,
        name: &str,
    ) -> Result<i32, DbErr> {
        let key = (subdistrict_id, name.to_string());
        if let Some(id) = self.committees.get(&key) {
            return Ok(*id);
        }
        let id = committee::ActiveModel {
            subdistrict_id: Set(subdistrict_id),
            name: Set(name.to_string()),
            ..Default::default()
        }
        .insert(db)
        .await?
        .id;
        self.committees.insert(key, id);
        Ok(id)
    }
}

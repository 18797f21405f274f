//! Multi-row INSERTs for bulk imports, bypassing per-row ActiveModels: the statement text is
//! built once per batch size and the values are bound as they come.

use sea_orm::{ConnectionTrait, DbBackend, DbErr, Statement, Value};

/// Rows of a fixed column list waiting to be inserted into `table`.
pub(crate) struct BulkInsert {
    table: &'static str,
    columns: &'static [&'static str],
    rows_per_statement: usize,
    values: Vec<Value>,
    /// The SQL for a full batch, built on first use.
    full_batch_sql: Option<String>,
}

impl BulkInsert {
    /// `rows_per_statement × columns` must stay under the engines' bound-parameter limits
    /// (32,766 on SQLite, 65,535 on PostgreSQL).
    pub(crate) fn new(
        table: &'static str,
        columns: &'static [&'static str],
        rows_per_statement: usize,
    ) -> BulkInsert {
        BulkInsert {
            table,
            columns,
            rows_per_statement,
            values: Vec::with_capacity(rows_per_statement * columns.len()),
            full_batch_sql: None,
        }
    }

    /// Adds one row (its values in column order); flushes when the batch is full.
    pub(crate) async fn push<C: ConnectionTrait>(
        &mut self,
        db: &C,
        row: impl IntoIterator<Item = Value>,
    ) -> Result<(), DbErr> {
        let before = self.values.len();
        self.values.extend(row);
        debug_assert_eq!(self.values.len() - before, self.columns.len());
        if self.values.len() >= self.rows_per_statement * self.columns.len() {
            self.flush(db).await?;
        }
        Ok(())
    }

    /// Inserts the rows waiting, if any.
    pub(crate) async fn flush<C: ConnectionTrait>(&mut self, db: &C) -> Result<(), DbErr> {
        let width = self.columns.len();
        if self.values.is_empty() || width == 0 {
            return Ok(());
        }
        let rows = self.values.len() / width;
        let backend = db.get_database_backend();
        let sql = if rows == self.rows_per_statement {
            match &self.full_batch_sql {
                Some(sql) => sql.clone(),
                None => {
                    let sql = self.sql(backend, rows);
                    self.full_batch_sql = Some(sql.clone());
                    sql
                }
            }
        } else {
            self.sql(backend, rows)
        };
        let values = std::mem::replace(
            &mut self.values,
            Vec::with_capacity(self.rows_per_statement * width),
        );
        db.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
        Ok(())
    }

    fn sql(&self, backend: DbBackend, rows: usize) -> String {
        let width = self.columns.len();
        let columns: Vec<String> = self.columns.iter().map(|c| format!("\"{c}\"")).collect();
        let mut sql = format!(
            "INSERT INTO \"{}\" ({}) VALUES ",
            self.table,
            columns.join(", ")
        );
        let mut parameter = 0;
        for row in 0..rows {
            if row > 0 {
                sql.push_str(", ");
            }
            sql.push('(');
            for column in 0..width {
                if column > 0 {
                    sql.push_str(", ");
                }
                parameter += 1;
                match backend {
                    DbBackend::Postgres => {
                        sql.push('$');
                        sql.push_str(&parameter.to_string());
                    }
                    _ => sql.push('?'),
                }
            }
            sql.push(')');
        }
        sql
    }
}

//! Multi-row statements for the projector: rows of one table are written in
//! statements of a few fixed sizes, so that each connection prepares (and
//! caches) one statement per table and size rather than one per row count,
//! and values are bound as they are, without an `ActiveModel` per row.

use std::marker::PhantomData;

use sea_orm::{
    ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, Iterable, Statement, Value,
};

use super::error::Result;

/// Statement sizes in rows, largest first. 256 rows of the widest table (30
/// columns) bind 7,680 values, well under SQLite's 32,766 and PostgreSQL's
/// 65,535.
const SIZES: [usize; 4] = [256, 32, 4, 1];

/// What a row does when its primary key exists.
pub(super) enum OnConflict<C: 'static> {
    /// Fails (the row is new by construction).
    Fail,
    /// Replaces these columns.
    Update(&'static [C]),
}

/// Rows for one table, in the column order of its entity.
pub(super) struct Rows<E: EntityTrait>
where
    E::Column: 'static,
{
    conflict: OnConflict<E::Column>,
    width: usize,
    values: Vec<Value>,
    entity: PhantomData<E>,
}

impl<E: EntityTrait> Rows<E>
where
    E::Column: 'static,
{
    pub(super) fn new(conflict: OnConflict<E::Column>, rows: usize) -> Self {
        let width = E::Column::iter().count();
        Self {
            conflict,
            width,
            values: Vec::with_capacity(rows * width),
            entity: PhantomData,
        }
    }

    /// Adds one row: a value for every column, in the entity's order.
    pub(super) fn push<const N: usize>(&mut self, row: [Value; N]) {
        debug_assert_eq!(
            N,
            self.width,
            "{}: one value per column",
            E::default().table_name()
        );
        self.values.extend(row);
    }

    /// Rows added.
    pub(super) fn len(&self) -> usize {
        self.values.len() / self.width
    }

    /// Writes the rows.
    pub(super) async fn write(self, txn: &DatabaseTransaction, backend: DbBackend) -> Result<()> {
        let mut left = self.len();
        let mut values = self.values.into_iter();
        while left > 0 {
            let size = SIZES.into_iter().find(|size| *size <= left).unwrap_or(1);
            let chunk: Vec<Value> = values.by_ref().take(size * self.width).collect();
            let sql = sql::<E>(backend, &self.conflict, size);
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, chunk))
                .await?;
            left -= size;
        }
        Ok(())
    }
}

/// `INSERT INTO t (columns) VALUES (..), .. [ON CONFLICT ..]` for `rows` rows.
fn sql<E: EntityTrait>(
    backend: DbBackend,
    conflict: &OnConflict<E::Column>,
    rows: usize,
) -> String {
    use sea_orm::{IdenStatic, PrimaryKeyToColumn};
    let columns: Vec<&str> = E::Column::iter().map(|column| column.as_str()).collect();
    let mut sql = format!("INSERT INTO \"{}\" (", E::default().table_name());
    push_list(&mut sql, columns.iter().copied());
    sql.push_str(") VALUES ");
    let mut parameter = 0;
    for row in 0..rows {
        if row > 0 {
            sql.push(',');
        }
        sql.push('(');
        for column in 0..columns.len() {
            if column > 0 {
                sql.push(',');
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
    let key = || E::PrimaryKey::iter().map(|key| key.into_column().as_str());
    match conflict {
        OnConflict::Fail => {}
        OnConflict::Update(update) => {
            sql.push_str(" ON CONFLICT (");
            push_list(&mut sql, key());
            sql.push_str(") DO UPDATE SET ");
            for (n, column) in update.iter().enumerate() {
                if n > 0 {
                    sql.push(',');
                }
                let name = column.as_str();
                sql.push_str(&format!("\"{name}\" = excluded.\"{name}\""));
            }
        }
    }
    sql
}

fn push_list<'a>(sql: &mut String, names: impl Iterator<Item = &'a str>) {
    for (n, name) in names.enumerate() {
        if n > 0 {
            sql.push(',');
        }
        sql.push('"');
        sql.push_str(name);
        sql.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::entity::incident_sequence;

    #[test]
    fn statements_name_every_column_and_number_postgres_parameters() {
        let update = OnConflict::Update(&[incident_sequence::Column::Sequence]);
        assert_eq!(
            sql::<incident_sequence::Entity>(DbBackend::Postgres, &update, 2),
            "INSERT INTO \"incident_sequences\" (\"company_id\",\"sequence\") VALUES ($1,$2),($3,$4) \
             ON CONFLICT (\"company_id\") DO UPDATE SET \"sequence\" = excluded.\"sequence\""
        );
        assert_eq!(
            sql::<incident_sequence::Entity>(DbBackend::Sqlite, &OnConflict::Fail, 1),
            "INSERT INTO \"incident_sequences\" (\"company_id\",\"sequence\") VALUES (?,?)"
        );
    }
}

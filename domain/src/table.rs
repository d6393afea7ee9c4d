//! One kind of entity: rows in id order plus the counter that assigns the next id.
//!
//! Ids start at 1 and are never reused, even after a delete, so every replica assigns the same
//! id to the same create and a stale id can never name a newer entity. Rows live in a
//! `BTreeMap`, so iteration (and therefore every outcome) follows id order.

use std::collections::btree_map;
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::rejection::{Rejection, RejectionCode};

/// The rows of one entity kind and its id counter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(
    serialize = "Id: Serialize + Ord, Row: Serialize",
    deserialize = "Id: Deserialize<'de> + Ord, Row: Deserialize<'de>"
))]
pub(crate) struct Table<Id: Ord, Row> {
    /// The last id assigned; 0 before the first create.
    id_last: u64,
    rows: BTreeMap<Id, Row>,
}

impl<Id: Ord, Row> Default for Table<Id, Row> {
    fn default() -> Self {
        Table { id_last: 0, rows: BTreeMap::new() }
    }
}

impl<Id: Ord + Copy + From<u64>, Row> Table<Id, Row> {
    pub(crate) fn get(&self, id: Id) -> Option<&Row> {
        self.rows.get(&id)
    }

    pub(crate) fn get_mut(&mut self, id: Id) -> Option<&mut Row> {
        self.rows.get_mut(&id)
    }

    pub(crate) fn contains(&self, id: Id) -> bool {
        self.rows.contains_key(&id)
    }

    pub(crate) fn values(&self) -> btree_map::Values<'_, Id, Row> {
        self.rows.values()
    }

    pub(crate) fn count(&self) -> u64 {
        self.rows.len() as u64
    }

    /// The id the next create will get. `noun` names the kind in the rejection.
    pub(crate) fn id_next(&self, noun: &str) -> Result<Id, Rejection> {
        match self.id_last.checked_add(1) {
            Some(id) => Ok(Id::from(id)),
            None => Err(Rejection::new(RejectionCode::LimitExceeded, format!("{noun} ids are exhausted"))),
        }
    }

    /// Refuses a create when the table already holds `count_max` rows.
    pub(crate) fn check_room(&self, noun_plural: &str, count_max: u32) -> Result<(), Rejection> {
        if self.count() < u64::from(count_max) {
            return Ok(());
        }
        let message = format!("Tandem supports a maximum of {count_max} {noun_plural}.");
        Err(Rejection::new(RejectionCode::LimitExceeded, message))
    }

    /// Stores a new row under the id [`Table::id_next`] returned.
    pub(crate) fn insert_new(&mut self, id: Id, row: Row) {
        let id_next = self.id_last + 1;
        assert!(Id::from(id_next) == id, "ids are assigned in order");
        self.id_last = id_next;
        let previous = self.rows.insert(id, row);
        assert!(previous.is_none(), "a new id names no existing row");
    }

    /// Replaces an existing row.
    pub(crate) fn replace(&mut self, id: Id, row: Row) {
        let previous = self.rows.insert(id, row);
        assert!(previous.is_some(), "only existing rows are replaced");
    }

    /// Removes an existing row.
    pub(crate) fn remove(&mut self, id: Id) {
        let previous = self.rows.remove(&id);
        assert!(previous.is_some(), "only existing rows are removed");
    }
}

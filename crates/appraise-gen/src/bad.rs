//! Bad rows: each breaks exactly one rule of the data contract (or repeats a row).

use super::*;

/// How a row is spoiled on its way out.
pub(crate) enum Damage {
    None,
    /// Write this text in place of the column's value (CSV only).
    Text(usize, &'static str),
    /// Add a field the header does not have (CSV only).
    ExtraField,
}

/// The kinds of bad row a table can carry in a format: reason names, and `duplicate`.
pub(crate) fn bad_kinds(table: Table, csv: bool) -> Vec<&'static str> {
    let mut kinds = vec![
        Reason::MissingRequired.as_str(),
        Reason::InvalidEnum.as_str(),
        Reason::UnknownDepartment.as_str(),
        Reason::TimeOrder.as_str(),
        Reason::ConflictingId.as_str(),
        "duplicate",
    ];
    if csv {
        kinds.extend([
            Reason::InvalidTimestamp.as_str(),
            Reason::FieldCount.as_str(),
        ]);
    }
    match table {
        Table::Exchanges => {
            kinds.push(Reason::NegativeCount.as_str());
            if csv {
                kinds.push(Reason::InvalidInteger.as_str());
            }
        }
        Table::ShareRequests => kinds.push(Reason::Inconsistent.as_str()),
        Table::Services => {
            kinds.extend([
                Reason::NegativeCount.as_str(),
                Reason::OutOfRange.as_str(),
                Reason::Inconsistent.as_str(),
            ]);
            if csv {
                kinds.push(Reason::InvalidBoolean.as_str());
            }
        }
        Table::Departments | Table::Catalog => {}
    }
    kinds
}

/// A copy of a good row that breaks exactly one rule of kind `kind`.
pub(crate) fn spoil(table: Table, kind: &str, good: &Row, serial: u64) -> (Row, Damage) {
    let ix = |name: &str| table.column_index(name).expect("contract column");
    let mut row = good.clone();
    if kind != "duplicate" && kind != Reason::ConflictingId.as_str() {
        row[0] = Val::Owned(format!("BAD{serial:08}"));
    }
    let (start, end, enum_col, dept_col, count_col) = match table {
        Table::Catalog => (
            "registered_at",
            "last_updated_at",
            "share_type",
            "dept_id",
            "",
        ),
        Table::Exchanges => (
            "requested_at",
            "responded_at",
            "status",
            "provider_dept",
            "records",
        ),
        Table::ShareRequests => (
            "submitted_at",
            "decided_at",
            "decision",
            "provider_dept",
            "",
        ),
        Table::Services => (
            "submitted_at",
            "completed_at",
            "channel",
            "dept_id",
            "visits",
        ),
        Table::Departments => ("", "", "level", "parent_id", ""),
    };
    let mut damage = Damage::None;
    match kind {
        "duplicate" => {}
        "conflicting_id" => {
            // Same id, different content: the start one second earlier, which keeps
            // every other rule of the row.
            row[ix(start)] = ts(row[ix(start)].ts().unwrap_or_default() - 1_000_000);
        }
        "missing_required" => row[ix(enum_col)] = Val::Null,
        "invalid_enum" => row[ix(enum_col)] = Val::Str("unknown"),
        "unknown_department" => row[ix(dept_col)] = Val::Str("NO-SUCH-DEPT"),
        "time_order" => {
            row[ix(end)] = ts(row[ix(start)].ts().unwrap_or_default() - 3_600_000_000);
            make_consistent(table, &mut row, &ix);
        }
        "negative_count" => row[ix(count_col)] = Val::Int(-3),
        "out_of_range" => row[ix("rating")] = Val::Int(7),
        "inconsistent" => match table {
            Table::ShareRequests => {
                row[ix("decision")] = Val::Str("pending");
                let submitted = row[ix("submitted_at")].ts().unwrap_or_default();
                row[ix("decided_at")] = ts(submitted + 3_600_000_000);
            }
            _ => {
                row[ix("status")] = Val::Str("completed");
                row[ix("completed_at")] = Val::Null;
            }
        },
        "invalid_timestamp" => damage = Damage::Text(ix(start), "2026-13-45 25:61:00"),
        "invalid_integer" => damage = Damage::Text(ix(count_col), "12a"),
        "invalid_boolean" => damage = Damage::Text(ix("shared_data_used"), "maybe"),
        "field_count" => damage = Damage::ExtraField,
        _ => {}
    }
    (row, damage)
}

/// After changing a status-like field, restore the rules that tie fields together.
pub(crate) fn make_consistent(table: Table, row: &mut Row, ix: &dyn Fn(&str) -> usize) {
    match table {
        Table::ShareRequests => {
            let pending = row[ix("decision")] == Val::Str("pending");
            let has = row[ix("decided_at")] != Val::Null;
            if pending && has {
                row[ix("decision")] = Val::Str("approved");
            } else if !pending && !has {
                row[ix("decision")] = Val::Str("pending");
            }
        }
        Table::Services
            if row[ix("status")] == Val::Str("completed")
                && row[ix("completed_at")] == Val::Null =>
        {
            row[ix("status")] = Val::Str("in_progress");
        }
        _ => {}
    }
}

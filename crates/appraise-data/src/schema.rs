//! The data contract: the five tables, their columns, types and rules.
//!
//! Every loader reads into the Arrow schema given here, so KPI SQL sees one shape
//! whatever the input format was. Enumerations are stored as their canonical lowercase
//! text (`Utf8`), counts as `Int64`, timestamps as `Timestamp(µs, "UTC")`.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// One of the five tables of the data contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Table {
    /// The appraised units.
    Departments,
    /// The government information resource catalog.
    Catalog,
    /// The exchange-platform log.
    Exchanges,
    /// Applications for access to conditional resources.
    ShareRequests,
    /// Government-service cases.
    Services,
}

impl Table {
    /// All tables, in load order: departments first, since the others refer to it.
    pub const ALL: [Table; 5] = [
        Table::Departments,
        Table::Catalog,
        Table::Exchanges,
        Table::ShareRequests,
        Table::Services,
    ];

    /// The table's name, as files and SQL spell it.
    pub fn name(self) -> &'static str {
        match self {
            Table::Departments => "departments",
            Table::Catalog => "catalog",
            Table::Exchanges => "exchanges",
            Table::ShareRequests => "share_requests",
            Table::Services => "services",
        }
    }

    /// The column that places a row in time: what periods scope, months partition and
    /// coverage is read from; `None` for departments.
    pub fn time_column(self) -> Option<&'static str> {
        match self {
            Table::Departments => None,
            Table::Catalog => Some("registered_at"),
            Table::Exchanges => Some("requested_at"),
            Table::ShareRequests | Table::Services => Some("submitted_at"),
        }
    }

    /// Looks a table up by its name.
    pub fn from_name(name: &str) -> Option<Table> {
        Table::ALL.into_iter().find(|t| t.name() == name)
    }

    /// The table's columns, in schema order.
    pub fn columns(self) -> &'static [Column] {
        match self {
            Table::Departments => DEPARTMENTS,
            Table::Catalog => CATALOG,
            Table::Exchanges => EXCHANGES,
            Table::ShareRequests => SHARE_REQUESTS,
            Table::Services => SERVICES,
        }
    }

    /// The column that identifies a row; a repeated value is a duplicate or a conflict.
    pub fn id_column(self) -> &'static str {
        self.columns()[0].name
    }

    /// Position of a column by name.
    pub fn column_index(self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }

    /// The Arrow schema every loader produces for this table.
    pub fn schema(self) -> SchemaRef {
        let fields: Vec<Field> = self
            .columns()
            .iter()
            .map(|c| Field::new(c.name, c.kind.data_type(), !(c.required || c.defaulted)))
            .collect();
        Arc::new(Schema::new(fields))
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a column holds and how its text is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Free text.
    Text,
    /// A department code that must name a loaded department.
    DeptRef,
    /// One of a fixed set of lowercase words (matched case-insensitively).
    Enum(&'static [&'static str]),
    /// A timestamp (see [`crate::timestamp`]).
    Timestamp,
    /// A whole number within `min..=max`; below a `min` of 0 is a negative count.
    Int {
        /// Smallest allowed value.
        min: i64,
        /// Largest allowed value.
        max: i64,
    },
    /// `true/false/t/f/1/0/yes/no` in any case.
    Bool,
    /// Personal data: replaced by a keyed hash on load, or dropped.
    Personal,
}

impl Kind {
    /// The Arrow type the column is stored as.
    pub fn data_type(self) -> DataType {
        match self {
            Kind::Text | Kind::DeptRef | Kind::Enum(_) | Kind::Personal => DataType::Utf8,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            Kind::Int { .. } => DataType::Int64,
            Kind::Bool => DataType::Boolean,
        }
    }
}

/// One column of the contract.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Column name, as in files and SQL.
    pub name: &'static str,
    /// What it holds.
    pub kind: Kind,
    /// Whether an input row must carry a value.
    pub required: bool,
    /// Filled by the loader when absent (`peer_group` defaults to `level`), so never
    /// null in the loaded table although optional in input.
    pub defaulted: bool,
}

const fn req(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        required: true,
        defaulted: false,
    }
}

const fn opt(name: &'static str, kind: Kind) -> Column {
    Column {
        name,
        kind,
        required: false,
        defaulted: false,
    }
}

/// A count: a whole number from 0 to [`MAX_COUNT`].
const COUNT: Kind = Kind::Int {
    min: 0,
    max: MAX_COUNT,
};

/// The largest count a row may hold (10^12): far above any real exchange, and low
/// enough that a SUM over 9 million rows at this value still fits a 64-bit integer,
/// where a row holding 2^63 − 1 made every sum wrap around.
pub const MAX_COUNT: i64 = 1_000_000_000_000;

/// Department levels: the three levels of the government service system.
pub const LEVELS: &[&str] = &["province", "city", "county"];
/// Catalog sharing attribute.
pub const SHARE_TYPES: &[&str] = &["unconditional", "conditional", "none"];
/// Catalog open-data attribute.
pub const OPEN_TYPES: &[&str] = &["open", "conditional", "closed"];
/// Declared update frequency of a catalog resource.
pub const UPDATE_CYCLES: &[&str] = &[
    "realtime",
    "daily",
    "weekly",
    "monthly",
    "quarterly",
    "yearly",
    "irregular",
];
/// Outcome of one exchange.
pub const EXCHANGE_STATUSES: &[&str] = &["success", "failed", "rejected", "timeout"];
/// How an exchange was delivered.
pub const EXCHANGE_MODES: &[&str] = &["api", "file", "sync"];
/// State of a share request.
pub const DECISIONS: &[&str] = &["approved", "rejected", "pending"];
/// Service channels; all but `hall` need no visit.
pub const CHANNELS: &[&str] = &["online", "mobile", "self_service", "hall"];
/// State of a service case.
pub const SERVICE_STATUSES: &[&str] = &["completed", "rejected", "withdrawn", "in_progress"];

const DEPARTMENTS: &[Column] = &[
    req("dept_id", Kind::Text),
    req("name", Kind::Text),
    opt("name_en", Kind::Text),
    req("level", Kind::Enum(LEVELS)),
    opt("parent_id", Kind::DeptRef),
    opt("region", Kind::Text),
    Column {
        name: "peer_group",
        kind: Kind::Text,
        required: false,
        defaulted: true,
    },
];

const CATALOG: &[Column] = &[
    req("resource_id", Kind::Text),
    req("dept_id", Kind::DeptRef),
    req("title", Kind::Text),
    req("share_type", Kind::Enum(SHARE_TYPES)),
    opt("open_type", Kind::Enum(OPEN_TYPES)),
    req("update_cycle", Kind::Enum(UPDATE_CYCLES)),
    req("registered_at", Kind::Timestamp),
    opt("last_updated_at", Kind::Timestamp),
    // Metadata the catalog-quality KPIs check (docs/kpis.md).
    opt("description", Kind::Text),
    opt("format", Kind::Text),
    opt("keywords", Kind::Text),
    opt("share_condition", Kind::Text),
    opt("licence", Kind::Text),
];

const EXCHANGES: &[Column] = &[
    req("event_id", Kind::Text),
    req("requested_at", Kind::Timestamp),
    opt("responded_at", Kind::Timestamp),
    req("consumer_dept", Kind::DeptRef),
    req("provider_dept", Kind::DeptRef),
    opt("resource_id", Kind::Text),
    req("status", Kind::Enum(EXCHANGE_STATUSES)),
    opt("records", COUNT),
    opt("bytes", COUNT),
    opt("mode", Kind::Enum(EXCHANGE_MODES)),
];

const SHARE_REQUESTS: &[Column] = &[
    req("request_id", Kind::Text),
    req("consumer_dept", Kind::DeptRef),
    req("provider_dept", Kind::DeptRef),
    opt("resource_id", Kind::Text),
    req("submitted_at", Kind::Timestamp),
    opt("decided_at", Kind::Timestamp),
    req("decision", Kind::Enum(DECISIONS)),
];

const SERVICES: &[Column] = &[
    req("case_id", Kind::Text),
    req("dept_id", Kind::DeptRef),
    req("service_id", Kind::Text),
    req("channel", Kind::Enum(CHANNELS)),
    req("submitted_at", Kind::Timestamp),
    opt("completed_at", Kind::Timestamp),
    opt("promised_days", COUNT),
    req("status", Kind::Enum(SERVICE_STATUSES)),
    opt("rating", Kind::Int { min: 1, max: 5 }),
    opt("visits", COUNT),
    opt("shared_data_used", Kind::Bool),
    opt("applicant_id", Kind::Personal),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_follow_the_contract() {
        let s = Table::Exchanges.schema();
        let names: Vec<&str> = s.fields().iter().map(|f| f.name().as_str()).collect();
        assert_eq!(
            names,
            [
                "event_id",
                "requested_at",
                "responded_at",
                "consumer_dept",
                "provider_dept",
                "resource_id",
                "status",
                "records",
                "bytes",
                "mode"
            ]
        );
        let requested = s.field_with_name("requested_at").unwrap();
        assert!(!requested.is_nullable());
        assert_eq!(
            requested.data_type(),
            &DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()))
        );
        assert!(s.field_with_name("responded_at").unwrap().is_nullable());
        // peer_group is optional in input but the loader fills it from `level`.
        let d = Table::Departments.schema();
        assert!(!d.field_with_name("peer_group").unwrap().is_nullable());
        assert!(d.field_with_name("parent_id").unwrap().is_nullable());
    }

    #[test]
    fn every_table_is_keyed_by_its_id() {
        let ids: Vec<&str> = Table::ALL.iter().map(|t| t.id_column()).collect();
        assert_eq!(
            ids,
            [
                "dept_id",
                "resource_id",
                "event_id",
                "request_id",
                "case_id"
            ]
        );
        for t in Table::ALL {
            assert_eq!(Table::from_name(t.name()), Some(t));
        }
    }
}

//! The mapping file: which department each X-Road member or subsystem is.
//!
//! A CSV file with a header and the columns `xroad_instance, member_class, member_code,
//! subsystem_code, dept_id`. A blank `subsystem_code` maps the whole member: every
//! subsystem of it that has no line of its own. It may also carry the columns of the
//! `departments` table (`name, name_en, level, parent_id, region, peer_group`), which
//! then supply the departments; a department mapped on several lines gives them once,
//! and lines that give them must agree.
//!
//! The mapping is configuration, not data: a line that does not read stops the load
//! with its line and the fix, rather than being rejected.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use encoding_rs::Encoding;

use super::Member;
use crate::Error;
use crate::encoding::utf8_reader;
use crate::schema::Table;

/// The columns that say which member a line maps.
pub const KEY_COLUMNS: [&str; 4] = [
    "xroad_instance",
    "member_class",
    "member_code",
    "subsystem_code",
];

/// A department as the mapping gives it: a value per column of the `departments`
/// table, `None` where the mapping leaves it blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MappedDepartment {
    /// The values, in the order of [`Table::Departments`]' columns (`dept_id` first).
    pub fields: Vec<Option<String>>,
    /// The line that first named it.
    pub line: u64,
}

/// Where a mapping file's columns are: the member key's, in the order of
/// `KEY_COLUMNS`, and the departments table's (the first, `dept_id`, always there).
struct Columns {
    key: [usize; 4],
    department: Vec<Option<usize>>,
}

/// The mapping file, read.
#[derive(Debug, Clone)]
pub struct Mapping {
    path: PathBuf,
    /// Member or subsystem (`subsystem` empty: the whole member) → department number
    /// and the line that maps it.
    members: HashMap<Member, (usize, u64)>,
    departments: Vec<MappedDepartment>,
    /// Whether the file has the columns `name` and `level` of a department.
    describes_departments: bool,
}

impl Mapping {
    /// Reads the mapping file at `path`, in UTF-8 or GB18030 (detected unless given).
    pub fn read(path: &Path, encoding: Option<&'static Encoding>) -> Result<Mapping, Error> {
        let file = crate::source::open_regular(path)?;
        let (_, text) =
            utf8_reader(file, encoding).map_err(|e| crate::source::encoding_error(path, e))?;
        let mut csv = csv::ReaderBuilder::new().from_reader(text);
        let mut mapping = Mapping {
            path: path.to_path_buf(),
            members: HashMap::new(),
            departments: Vec::new(),
            describes_departments: false,
        };
        let header: Vec<String> = csv
            .headers()
            .map_err(|e| {
                mapping.bad(
                    1,
                    e.to_string(),
                    "the mapping must be a CSV file with a header",
                )
            })?
            .iter()
            .map(|h| h.trim().to_ascii_lowercase())
            .collect();
        let columns = mapping.columns(&header)?;
        mapping.describes_departments =
            header.iter().any(|h| h == "name") && header.iter().any(|h| h == "level");
        let mut dept_at: HashMap<String, usize> = HashMap::new();
        for row in csv.records() {
            let row = row.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                mapping.bad(
                    line,
                    e.to_string(),
                    "check the quoting and the number of fields",
                )
            })?;
            if !row.iter().all(|f| f.trim().is_empty()) {
                mapping.add(&row, &columns, &mut dept_at)?;
            }
        }
        Ok(mapping)
    }

    /// An error at `line` of the mapping file, with its fix.
    fn bad(&self, line: u64, reason: String, hint: &str) -> Error {
        Error::unreadable(
            &self.path,
            Some(format!("line {line}")),
            reason,
            Some(hint.into()),
        )
    }

    /// Where the member key's columns and the department's columns are.
    fn columns(&self, header: &[String]) -> Result<Columns, Error> {
        let column = |name: &str| header.iter().position(|h| h == name);
        let need = "the mapping needs the columns xroad_instance, member_class, member_code, \
                    subsystem_code and dept_id";
        let mut key = [0usize; 4];
        for (slot, name) in key.iter_mut().zip(KEY_COLUMNS) {
            *slot = column(name).ok_or_else(|| self.bad(1, format!("no column {name}"), need))?;
        }
        let department: Vec<Option<usize>> = Table::Departments
            .columns()
            .iter()
            .map(|c| column(c.name))
            .collect();
        if department[0].is_none() {
            return Err(self.bad(1, "no column dept_id".into(), need));
        }
        Ok(Columns { key, department })
    }

    /// One line of the file: a member or subsystem and its department.
    fn add(
        &mut self,
        row: &csv::StringRecord,
        columns: &Columns,
        dept_at: &mut HashMap<String, usize>,
    ) -> Result<(), Error> {
        let line = row.position().map_or(0, |p| p.line());
        let get = |i: usize| row.get(i).map(str::trim).filter(|s| !s.is_empty());
        let [instance, class, code, subsystem] = columns.key.map(get);
        let (Some(instance), Some(class), Some(code)) = (instance, class, code) else {
            return Err(self.bad(
                line,
                "xroad_instance, member_class and member_code must all be given".into(),
                "leave only subsystem_code blank, to map a whole member",
            ));
        };
        let fields: Vec<Option<String>> = columns
            .department
            .iter()
            .map(|c| c.and_then(get).map(str::to_string))
            .collect();
        let Some(dept_id) = fields[0].clone() else {
            return Err(self.bad(
                line,
                "dept_id is blank".into(),
                "give the department each member or subsystem belongs to",
            ));
        };
        let member = Member {
            instance: instance.into(),
            class: class.into(),
            code: code.into(),
            subsystem: subsystem.unwrap_or("").into(),
        };
        if let Some((_, first)) = self.members.get(&member) {
            return Err(self.bad(
                line,
                format!("{member} is mapped twice (also on line {first})"),
                "keep one line per member or subsystem",
            ));
        }
        let at = match dept_at.get(&dept_id) {
            Some(&at) => {
                self.merge(at, &fields, line)?;
                at
            }
            None => {
                self.departments.push(MappedDepartment { fields, line });
                dept_at.insert(dept_id, self.departments.len() - 1);
                self.departments.len() - 1
            }
        };
        self.members.insert(member, (at, line));
        Ok(())
    }

    /// Adds what line `line` says of department `at`; what it gives must agree with
    /// what earlier lines gave.
    fn merge(&mut self, at: usize, fields: &[Option<String>], line: u64) -> Result<(), Error> {
        let dept = &mut self.departments[at];
        let id = dept.fields[0].clone().unwrap_or_default();
        for (i, (have, new)) in dept.fields.iter_mut().zip(fields).enumerate() {
            match (have.as_deref(), new.as_deref()) {
                (_, None) => {}
                (None, Some(v)) => *have = Some(v.to_string()),
                (Some(a), Some(b)) if a == b => {}
                (Some(a), Some(b)) => {
                    let column = Table::Departments.columns()[i].name;
                    return Err(Error::unreadable(
                        &self.path,
                        Some(format!("line {line}")),
                        format!(
                            "department {:?} has {column} {b:?} here but {a:?} on line {}",
                            id, dept.line
                        ),
                        Some(
                            "give each department's details once, or the same on every line".into(),
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The department of a member or subsystem: its own line, else its member's line
    /// with a blank subsystem.
    pub fn dept_of(&self, m: &Member) -> Option<&str> {
        let (at, _) = self.members.get(m).or_else(|| {
            if m.subsystem.is_empty() {
                return None;
            }
            self.members.get(&Member {
                subsystem: "".into(),
                ..m.clone()
            })
        })?;
        self.departments[*at].fields[0].as_deref()
    }

    /// The departments named, with what the mapping says of them, in the order first
    /// named.
    pub fn departments(&self) -> &[MappedDepartment] {
        &self.departments
    }

    /// Whether the mapping has the columns `name` and `level`, so that it can supply
    /// the departments.
    pub fn describes_departments(&self) -> bool {
        self.describes_departments
    }

    /// The file it was read from.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

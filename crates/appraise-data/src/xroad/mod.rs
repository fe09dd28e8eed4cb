//! X-Road operational monitoring: the records a security server logs for every
//! exchange, read as they come ([`read`]), paired into exchanges ([`pair`]) and mapped
//! onto the `exchanges` and `departments` tables of the contract ([`adapter`]), with a
//! mapping file from X-Road members to departments ([`mapping`]).
//!
//! Each exchange is logged twice: on the consumer's security server (a `Client` record)
//! and on the provider's (a `Producer` record). `docs/xroad.md` gives every reading.

pub mod adapter;
pub mod mapping;
pub mod pair;
pub mod read;
pub(crate) mod source;

use std::collections::BTreeMap;
use std::fmt;

use std::path::PathBuf;

use foldhash::fast::RandomState;
use indexmap::{Equivalent, IndexSet};
use serde::Serialize;

pub use pair::{Durations, Exchange, LEGACY_WINDOW_MS, Matching, Paired, Pairer, pair};
pub use read::{Records, read_records};

/// How X-Road records are turned into tables.
#[derive(Debug, Clone, Default)]
pub struct XroadOptions {
    /// The mapping file from members and subsystems to departments ([`crate::xroad::Mapping`]).
    pub mapping: Option<PathBuf>,
    /// A `departments` table file; without it the mapping supplies the departments.
    pub departments: Option<PathBuf>,
    /// Make a department for each member the mapping does not map, rather than
    /// rejecting its exchanges.
    pub auto_departments: bool,
}

/// What a load made of the records. Every record is accounted for:
/// `records = 2 × pairs + client_orphans + producer_orphans + duplicates + unusable`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// Records read.
    pub records: u64,
    /// Exchanges with both halves.
    pub pairs: u64,
    /// Exchanges with only the Client record.
    pub client_orphans: u64,
    /// Exchanges with only the Producer record.
    pub producer_orphans: u64,
    /// Records that repeated a half already taken, kept once.
    pub duplicates: u64,
    /// Records that could not be used (rejected, with the reason).
    pub unusable: u64,
    /// Members and subsystems the mapping does not map, with how many exchanges were
    /// rejected for naming them.
    pub unmapped: BTreeMap<String, u64>,
    /// Departments made for members the mapping does not map (`--auto-departments`).
    pub auto_departments: u64,
}

impl Summary {
    /// Whether every record read is accounted for.
    pub fn balances(&self) -> bool {
        self.records
            == 2 * self.pairs
                + self.client_orphans
                + self.producer_orphans
                + self.duplicates
                + self.unusable
    }
}

/// Which security server logged a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    /// The consumer's security server.
    Client,
    /// The provider's security server.
    Producer,
}

/// An X-Road member, or one of its subsystems: the parties of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    /// The X-Road instance (`EE`, `FI`, `PLAYGROUND`, ...).
    pub instance: Box<str>,
    /// The member class (`GOV`, `COM`, `ORG`, ...).
    pub class: Box<str>,
    /// The member code.
    pub code: Box<str>,
    /// The subsystem code; empty for the member itself.
    pub subsystem: Box<str>,
}

impl fmt::Display for Member {
    /// X-Road's own notation: `INSTANCE/CLASS/CODE[/SUBSYSTEM]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.instance, self.class, self.code)?;
        if !self.subsystem.is_empty() {
            write!(f, "/{}", self.subsystem)?;
        }
        Ok(())
    }
}

/// A [`Member`] by reference, to look one up without copying its codes. Its derived
/// `Hash` equals [`Member`]'s: both hash the four strings in order.
#[derive(Hash)]
struct MemberRef<'a> {
    instance: &'a str,
    class: &'a str,
    code: &'a str,
    subsystem: &'a str,
}

impl Equivalent<Member> for MemberRef<'_> {
    fn equivalent(&self, m: &Member) -> bool {
        *m.instance == *self.instance
            && *m.class == *self.class
            && *m.code == *self.code
            && *m.subsystem == *self.subsystem
    }
}

/// A service: its provider, code and version.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Service {
    /// The providing member or subsystem ([`Names::member`]).
    pub provider: u32,
    /// The service code.
    pub code: Box<str>,
    /// The service version; empty when none.
    pub version: Box<str>,
}

#[derive(Hash)]
struct ServiceRef<'a> {
    provider: u32,
    code: &'a str,
    version: &'a str,
}

impl Equivalent<Service> for ServiceRef<'_> {
    fn equivalent(&self, s: &Service) -> bool {
        s.provider == self.provider && *s.code == *self.code && *s.version == *self.version
    }
}

/// The members and services records name, each kept once and referred to by number, so
/// that millions of records share a few hundred names.
#[derive(Debug, Default, Clone)]
pub struct Names {
    members: IndexSet<Member, RandomState>,
    services: IndexSet<Service, RandomState>,
}

impl Names {
    /// The member numbered `id`.
    pub fn member(&self, id: u32) -> &Member {
        &self.members[id as usize]
    }

    /// The service numbered `id`.
    pub fn service(&self, id: u32) -> &Service {
        &self.services[id as usize]
    }

    /// How many services are named.
    pub fn services_len(&self) -> usize {
        self.services.len()
    }

    /// Every member named so far, by number.
    pub fn members(&self) -> impl ExactSizeIterator<Item = &Member> {
        self.members.iter()
    }

    /// A service in X-Road's notation: `INSTANCE/CLASS/CODE[/SUBSYSTEM]/SERVICE[/VERSION]`.
    pub fn service_path(&self, id: u32) -> String {
        let s = self.service(id);
        let mut path = format!("{}/{}", self.member(s.provider), s.code);
        if !s.version.is_empty() {
            path.push('/');
            path.push_str(&s.version);
        }
        path
    }

    /// Adds the names of `other` (names read apart, by another thread); gives, for each
    /// of its members and services, its number here.
    pub(crate) fn absorb(&mut self, other: &Names) -> (Vec<u32>, Vec<u32>) {
        let members: Vec<u32> = other
            .members
            .iter()
            .map(|m| self.intern_member(&m.instance, &m.class, &m.code, &m.subsystem))
            .collect();
        let services = other
            .services
            .iter()
            .map(|s| self.intern_service(members[s.provider as usize], &s.code, &s.version))
            .collect();
        (members, services)
    }

    fn intern_member(&mut self, instance: &str, class: &str, code: &str, subsystem: &str) -> u32 {
        let key = MemberRef {
            instance,
            class,
            code,
            subsystem,
        };
        if let Some(i) = self.members.get_index_of(&key) {
            return i as u32;
        }
        self.members
            .insert_full(Member {
                instance: instance.into(),
                class: class.into(),
                code: code.into(),
                subsystem: subsystem.into(),
            })
            .0 as u32
    }

    fn intern_service(&mut self, provider: u32, code: &str, version: &str) -> u32 {
        let key = ServiceRef {
            provider,
            code,
            version,
        };
        if let Some(i) = self.services.get_index_of(&key) {
            return i as u32;
        }
        self.services
            .insert_full(Service {
                provider,
                code: code.into(),
                version: version.into(),
            })
            .0 as u32
    }
}

/// One operational-monitoring record: the fields appraise uses, typed. Every other field
/// of the record, `messageUserId` (personal data) among them, is not kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Record {
    /// Which security server logged it.
    pub side: Side,
    /// The id both halves of an exchange share (X-Road 6.22 and later).
    pub x_request_id: Option<Box<str>>,
    /// The id the client's information system gave the message.
    pub message_id: Option<Box<str>>,
    /// The consumer ([`Names::member`]); `None` when the record names none.
    pub client: Option<u32>,
    /// The service called ([`Names::service`]); `None` when the record names none.
    pub service: Option<u32>,
    /// When the security server received the request (Unix ms).
    pub request_in_ts: Option<i64>,
    /// When it sent the request on (Unix ms).
    pub request_out_ts: Option<i64>,
    /// When it received the response (Unix ms).
    pub response_in_ts: Option<i64>,
    /// When it sent the response on (Unix ms).
    pub response_out_ts: Option<i64>,
    /// The request's size in bytes ([`read`] says which field gives it).
    pub request_size: Option<i64>,
    /// The response's size in bytes.
    pub response_size: Option<i64>,
    /// Whether the exchange succeeded, as this security server saw it.
    pub succeeded: Option<bool>,
}

/// Where a record was read: which of the files read (from 0) and which line (NDJSON)
/// or record (a JSON array or `{"records": [...]}`), from 1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Place {
    /// The file, by its number in the order read.
    pub file: u32,
    /// The line or record in it.
    pub record: u64,
}

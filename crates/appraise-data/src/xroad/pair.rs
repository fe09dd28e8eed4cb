//! Pairing the Client and Producer records of each exchange, as the records stream by.
//!
//! - By `xRequestId`: the Client and Producer records with the same one are an exchange.
//! - In older logs without it, as X-Road Metrics' corrector did: the same `messageId`,
//!   the same client and service, and `requestInTs` at most [`LEGACY_WINDOW_MS`] apart.
//! - A record that repeats a half already taken is a duplicate, kept once.
//! - A record whose other half never comes, or that has neither id, is an orphan.
//!
//! A [`Pairer`] keeps only the halves still waiting for their other half and a 16-byte
//! digest of every exchange completed (to know a later repeat), so pairing a file needs
//! memory for what is unmatched in it, not for all of it.

use std::collections::{HashMap, HashSet};

use foldhash::fast::RandomState;
use std::hash::Hash;

use xxhash_rust::xxh3::{Xxh3, xxh3_128};

use super::{Place, Record, Side};

/// How far apart, in milliseconds, the `requestInTs` of the two halves of an exchange
/// without `xRequestId` may be: the Producer's security server receives the request a
/// network hop after the Client's sent it.
pub const LEGACY_WINDOW_MS: i64 = 60_000;

/// How an exchange's records were matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// A Client record and a Producer record of the same exchange.
    Pair,
    /// One half, whose other half is not in the data.
    Orphan,
}

/// One exchange: its Client record (the consumer's security server), its Producer
/// record (the provider's), or both.
#[derive(Debug, Clone, PartialEq)]
pub struct Exchange {
    /// The Client record.
    pub client: Option<Record>,
    /// The Producer record.
    pub producer: Option<Record>,
    /// Where its first record was read.
    pub place: Place,
}

impl Exchange {
    fn new(r: Record, place: Place) -> Self {
        let mut e = Exchange {
            client: None,
            producer: None,
            place,
        };
        let side = r.side;
        *e.half(side) = Some(r);
        e
    }

    /// Whether both halves are here.
    pub fn matching(&self) -> Matching {
        if self.client.is_some() && self.producer.is_some() {
            Matching::Pair
        } else {
            Matching::Orphan
        }
    }

    /// The Client record, else the Producer record.
    pub fn first(&self) -> Option<&Record> {
        self.client.as_ref().or(self.producer.as_ref())
    }

    fn half(&mut self, side: Side) -> &mut Option<Record> {
        match side {
            Side::Client => &mut self.client,
            Side::Producer => &mut self.producer,
        }
    }

    fn get(&self, side: Side) -> Option<&Record> {
        match side {
            Side::Client => self.client.as_ref(),
            Side::Producer => self.producer.as_ref(),
        }
    }
}

/// Pairs records as they come: [`Pairer::push`] each, then [`Pairer::finish`].
#[derive(Debug, Default)]
pub struct Pairer {
    /// Halves waiting for their other half, by `xRequestId` (hashed).
    waiting: HashMap<u128, Exchange, RandomState>,
    /// The `xRequestId`s (hashed) of the exchanges completed.
    done: HashSet<u128, RandomState>,
    /// Halves without `xRequestId` waiting, by `messageId`, client and service (hashed).
    legacy: HashMap<u128, Vec<Exchange>, RandomState>,
    /// The records (hashed) of the exchanges without `xRequestId` completed.
    legacy_done: HashSet<u128, RandomState>,
    duplicates: u64,
}

/// The exchanges of a set of records, and how many records repeated a half already
/// taken.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Paired {
    /// Pairs in the order they completed, then orphans in the order they were read.
    pub exchanges: Vec<Exchange>,
    /// Records that repeated a half already taken (kept once).
    pub duplicates: u64,
}

/// Pairs `records` (see the module's documentation); a record's place is its position.
pub fn pair(records: impl IntoIterator<Item = Record>) -> Paired {
    let mut pairer = Pairer::default();
    let mut exchanges = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let place = Place {
            file: 0,
            record: i as u64 + 1,
        };
        exchanges.extend(pairer.push(r, place));
    }
    let (orphans, duplicates) = pairer.finish();
    exchanges.extend(orphans);
    Paired {
        exchanges,
        duplicates,
    }
}

impl Pairer {
    /// Takes a record: gives the exchange it completes, or an orphan of its own when it
    /// has neither id; a half that waits, or a duplicate, gives nothing.
    pub fn push(&mut self, r: Record, place: Place) -> Option<Exchange> {
        if let Some(id) = &r.x_request_id {
            let key = xxh3_128(id.as_bytes());
            if self.done.contains(&key) {
                self.duplicates += 1;
                return None;
            }
            let Some(e) = self.waiting.get_mut(&key) else {
                self.waiting.insert(key, Exchange::new(r, place));
                return None;
            };
            let slot = e.half(r.side);
            if slot.is_some() {
                self.duplicates += 1;
                return None;
            }
            *slot = Some(r);
            self.done.insert(key);
            return self.waiting.remove(&key);
        }
        let Some(key) = legacy_key(&r) else {
            return Some(Exchange::new(r, place));
        };
        if self.legacy_done.contains(&digest(&r)) {
            self.duplicates += 1;
            return None;
        }
        let waiting = self.legacy.entry(key).or_default();
        let other = opposite(r.side);
        let found = waiting
            .iter()
            .position(|e| match (e.get(r.side), e.get(other)) {
                (Some(m), _) => *m == r,
                (None, Some(o)) => close(r.request_in_ts, o),
                (None, None) => false,
            });
        let Some(at) = found else {
            waiting.push(Exchange::new(r, place));
            return None;
        };
        if waiting[at].get(r.side).is_some() {
            self.duplicates += 1;
            return None;
        }
        let mut e = waiting.swap_remove(at);
        if waiting.is_empty() {
            self.legacy.remove(&key);
        }
        for half in [&e.client, &e.producer].into_iter().flatten() {
            self.legacy_done.insert(digest(half));
        }
        self.legacy_done.insert(digest(&r));
        let side = r.side;
        *e.half(side) = Some(r);
        Some(e)
    }

    /// Records so far that repeated a half already taken.
    pub fn duplicates(&self) -> u64 {
        self.duplicates
    }

    /// The exchanges still open, and the duplicates counted. A half with an
    /// `xRequestId` whose other half was logged without one (by a security server older
    /// than X-Road 6.22) is paired with it here, as halves without ids are; the rest
    /// are orphans, in the order they were read.
    pub fn finish(mut self) -> (Vec<Exchange>, u64) {
        let mut open = Vec::with_capacity(self.waiting.len());
        for (_, mut e) in self.waiting.drain() {
            let Some(r) = e.first() else { continue };
            let side = r.side;
            let other = opposite(side);
            let at = r.request_in_ts;
            let found = legacy_key(r).and_then(|key| {
                let list = self.legacy.get_mut(&key)?;
                let i = list.iter().position(|l| {
                    l.get(side).is_none() && l.get(other).is_some_and(|o| close(at, o))
                })?;
                Some(list.swap_remove(i))
            });
            if let Some(mut half) = found {
                *e.half(other) = half.half(other).take();
                e.place = e.place.min(half.place);
            }
            open.push(e);
        }
        open.extend(self.legacy.into_values().flatten());
        open.sort_by_key(|e| e.place);
        (open, self.duplicates)
    }
}

/// The other security server's side.
fn opposite(side: Side) -> Side {
    match side {
        Side::Client => Side::Producer,
        Side::Producer => Side::Client,
    }
}

/// Whether a half received at `at` (`requestInTs`) may be the other half of `o`.
fn close(at: Option<i64>, o: &Record) -> bool {
    match (at, o.request_in_ts) {
        (Some(a), Some(b)) => (a - b).abs() <= LEGACY_WINDOW_MS,
        _ => false,
    }
}

/// What two halves of an exchange without `xRequestId` share: its `messageId`, client
/// and service.
fn legacy_key(r: &Record) -> Option<u128> {
    let id = r.message_id.as_ref()?;
    let mut h = Xxh3::new();
    id.hash(&mut h);
    r.client.hash(&mut h);
    r.service.hash(&mut h);
    Some(h.digest128())
}

/// A record's fields, hashed.
pub(super) fn digest(r: &Record) -> u128 {
    let mut h = Xxh3::new();
    r.hash(&mut h);
    h.digest128()
}

/// The durations (milliseconds) and sizes (bytes) X-Road Metrics derives for an
/// exchange; `None` where a time stamp or size they need is missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Durations {
    /// Client `responseOutTs` − `requestInTs`: the exchange as its consumer saw it.
    pub total: Option<i64>,
    /// Client `requestOutTs` − `requestInTs`.
    pub client_ss_request: Option<i64>,
    /// Client `responseOutTs` − `responseInTs`.
    pub client_ss_response: Option<i64>,
    /// Client `responseInTs` − `requestOutTs`.
    pub producer_client_view: Option<i64>,
    /// Producer `responseOutTs` − `requestInTs`.
    pub producer_producer_view: Option<i64>,
    /// Producer `requestOutTs` − `requestInTs`.
    pub producer_ss_request: Option<i64>,
    /// Producer `responseOutTs` − `responseInTs`.
    pub producer_ss_response: Option<i64>,
    /// Producer `responseInTs` − `requestOutTs`: the information system's own time.
    pub producer_is: Option<i64>,
    /// Producer `requestInTs` − Client `requestOutTs`.
    pub request_nw: Option<i64>,
    /// Client `responseInTs` − Producer `responseOutTs`.
    pub response_nw: Option<i64>,
    /// Request size on the Client's side.
    pub client_request_size: Option<i64>,
    /// Request size on the Producer's side.
    pub producer_request_size: Option<i64>,
    /// Response size on the Client's side.
    pub client_response_size: Option<i64>,
    /// Response size on the Producer's side.
    pub producer_response_size: Option<i64>,
}

impl Exchange {
    /// The derived durations and sizes.
    pub fn durations(&self) -> Durations {
        let diff = |a: Option<i64>, b: Option<i64>| Some(a? - b?);
        let (c, p) = (self.client.as_ref(), self.producer.as_ref());
        let ts = |r: Option<&Record>, f: fn(&Record) -> Option<i64>| r.and_then(f);
        Durations {
            total: diff(ts(c, |r| r.response_out_ts), ts(c, |r| r.request_in_ts)),
            client_ss_request: diff(ts(c, |r| r.request_out_ts), ts(c, |r| r.request_in_ts)),
            client_ss_response: diff(ts(c, |r| r.response_out_ts), ts(c, |r| r.response_in_ts)),
            producer_client_view: diff(ts(c, |r| r.response_in_ts), ts(c, |r| r.request_out_ts)),
            producer_producer_view: diff(ts(p, |r| r.response_out_ts), ts(p, |r| r.request_in_ts)),
            producer_ss_request: diff(ts(p, |r| r.request_out_ts), ts(p, |r| r.request_in_ts)),
            producer_ss_response: diff(ts(p, |r| r.response_out_ts), ts(p, |r| r.response_in_ts)),
            producer_is: diff(ts(p, |r| r.response_in_ts), ts(p, |r| r.request_out_ts)),
            request_nw: diff(ts(p, |r| r.request_in_ts), ts(c, |r| r.request_out_ts)),
            response_nw: diff(ts(c, |r| r.response_in_ts), ts(p, |r| r.response_out_ts)),
            client_request_size: ts(c, |r| r.request_size),
            producer_request_size: ts(p, |r| r.request_size),
            client_response_size: ts(c, |r| r.response_size),
            producer_response_size: ts(p, |r| r.response_size),
        }
    }
}

//! The traffic: exchanges, share requests and service cases over the months generated,
//! on a timeline of working days, with the planted anomalies.

use super::*;

pub(crate) const DAY_US: i64 = 86_400_000_000;

/// A timestamp cut to the millisecond: the precision the CSV files carry, so that CSV
/// and Parquet output hold the same values.
pub(crate) fn ts(us: i64) -> Val<'static> {
    Val::Ts(us - us.rem_euclid(1000))
}

pub(crate) fn pick(rng: &mut ChaCha8Rng, choices: &[(&'static str, f64)]) -> &'static str {
    let total: f64 = choices.iter().map(|c| c.1.max(0.0)).sum();
    let mut x = rng.random_range(0.0..total);
    for (v, w) in choices {
        x -= w.max(0.0);
        if x <= 0.0 {
            return v;
        }
    }
    choices[choices.len() - 1].0
}

pub(crate) fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map_or(0, |t| t.timestamp_micros())
}

pub(crate) fn add_months(date: NaiveDate, months: u32) -> NaiveDate {
    date.checked_add_months(chrono::Months::new(months))
        .unwrap_or(date)
}

/// Moves forward by `days` working days (weekends skipped; holidays are the
/// calendar's business, not the generator's), landing within office hours.
pub(crate) fn add_working_days(t: i64, days: f64, tz: Tz) -> i64 {
    let Some(start) = tz.timestamp_micros(t).single() else {
        return t;
    };
    let mut date = start.date_naive();
    let whole = days.floor() as i64;
    let mut left = whole;
    while left > 0 {
        date = date.succ_opt().unwrap_or(date);
        if !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) {
            left -= 1;
        }
    }
    let frac = days - whole as f64;
    let secs = 8.5 * 3600.0 + frac * 9.0 * 3600.0;
    let mut at = local_midnight(tz, date) + (secs * 1e6) as i64;
    if at <= t {
        at = t + ((frac * 4.0 + 0.1) * 3600.0 * 1e6) as i64;
    }
    at
}

/// Spreads `n` events over the span in time order, most in office hours on weekdays.
pub(crate) struct Timeline {
    pub(crate) hours: Vec<(i64, f64)>,
    pub(crate) per_weight: f64,
    pub(crate) n: u64,
    pub(crate) next_event: u64,
    pub(crate) hour: usize,
    pub(crate) cumulative: f64,
}

impl Timeline {
    pub(crate) fn new(
        start: i64,
        end: i64,
        n: u64,
        tz: Tz,
        workdays: Option<&BTreeMap<NaiveDate, bool>>,
    ) -> Self {
        let mut hours = Vec::new();
        let mut t = start;
        while t < end {
            let w = match tz.timestamp_micros(t).single() {
                Some(local) => {
                    let weekend = !is_working(workdays, local.date_naive());
                    let office = (8..18).contains(&local.hour());
                    match (weekend, office) {
                        (false, true) => 1.0,
                        (false, false) => 0.08,
                        (true, true) => 0.12,
                        (true, false) => 0.03,
                    }
                }
                None => 0.05,
            };
            hours.push((t, w));
            t += 3_600_000_000;
        }
        let total: f64 = hours.iter().map(|h| h.1).sum();
        Timeline {
            per_weight: n as f64 / total.max(1e-9),
            hours,
            n,
            next_event: 0,
            hour: 0,
            cumulative: 0.0,
        }
    }

    /// The time of the next event.
    pub(crate) fn next(&mut self, rng: &mut ChaCha8Rng) -> i64 {
        self.next_event += 1;
        let target = self.next_event as f64 - 0.5;
        while self.hour + 1 < self.hours.len()
            && self.cumulative + self.hours[self.hour].1 * self.per_weight < target
        {
            self.cumulative += self.hours[self.hour].1 * self.per_weight;
            self.hour += 1;
        }
        debug_assert!(self.next_event <= self.n);
        self.hours[self.hour].0 + rng.random_range(0..3_600_000_000)
    }
}

/// Whether `date` is a working day: by the calendar's exceptions where given, else
/// Monday to Friday.
pub(crate) fn is_working(workdays: Option<&BTreeMap<NaiveDate, bool>>, date: NaiveDate) -> bool {
    let weekday = !matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
    workdays
        .and_then(|w| w.get(&date).copied())
        .unwrap_or(weekday)
}

/// `planted_anomalies.csv`: `department_id,day,kind,how`, by day.
pub(crate) fn write_planted(dir: &Path, list: &[Planted]) -> Result<(), Error> {
    let path = dir.join("planted_anomalies.csv");
    let mut text = String::from("department_id,day,kind,how\n");
    for p in list {
        let _ = writeln!(text, "{},{},{},{}", p.department_id, p.day, p.kind, p.how);
    }
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))
}

impl<'o> Gen<'o> {
    /// Writes the exchanges, each changed as a planted anomaly of its provider's day
    /// says: failed, silent (nine in ten left out), four times slower, or fourfold.
    pub(crate) fn write_exchanges(
        &mut self,
        world: &World<'_>,
        planted: &BTreeMap<(String, NaiveDate), Planted>,
    ) -> Result<Emitter, Error> {
        let opts = self.opts;
        let mut emitter = self.emitter(Table::Exchanges)?;
        let mut times = self.timeline(opts.exchanges);
        let mut extra = opts.exchanges;
        for i in 0..opts.exchanges {
            let t = times.next(&mut self.rng);
            let mut row = self.exchange(i, t, world);
            let how = match &row[4] {
                Val::Owned(provider) if !planted.is_empty() => {
                    let day = opts
                        .timezone
                        .timestamp_micros(t)
                        .single()
                        .map(|l| l.date_naive());
                    day.and_then(|d| planted.get(&(provider.clone(), d)).map(|p| p.how))
                }
                _ => None,
            };
            match how {
                Some("failures") => {
                    row[6] = Val::Str("failed");
                    row[7] = Val::Int(0);
                    row[8] = Val::Int(0);
                }
                Some("silence") if self.plant_rng.random_bool(0.9) => continue,
                Some("slow") => {
                    if let Val::Ts(at) = row[2] {
                        row[2] = ts(t + (at - t) * 4);
                    }
                }
                Some("fourfold") => {
                    for k in 1..=3 {
                        extra += 1;
                        let mut copy = row.clone();
                        copy[0] = Val::Owned(format!("E{extra:010}"));
                        let shift = k * 1_000_000;
                        copy[1] = ts(t + shift);
                        if let Val::Ts(at) = copy[2] {
                            copy[2] = ts(at + shift);
                        }
                        emitter.emit(self, copy)?;
                    }
                }
                _ => {}
            }
            emitter.emit(self, row)?;
        }
        Ok(emitter)
    }

    /// Writes `n` rows of `table`, each made by `make` at its time on the timeline.
    pub(crate) fn write_rows(
        &mut self,
        table: Table,
        n: u64,
        world: &World<'_>,
        make: fn(&mut Gen<'o>, u64, i64, &World<'_>) -> Row,
    ) -> Result<Emitter, Error> {
        let mut emitter = self.emitter(table)?;
        let mut times = self.timeline(n);
        for i in 0..n {
            let t = times.next(&mut self.rng);
            let row = make(self, i, t, world);
            emitter.emit(self, row)?;
        }
        Ok(emitter)
    }

    pub(crate) fn timeline(&mut self, n: u64) -> Timeline {
        Timeline::new(
            self.start_us,
            self.end_us,
            n,
            self.opts.timezone,
            self.opts.workdays.as_ref(),
        )
    }

    /// The anomalies to plant, by (provider, day): each on a working day at least 8
    /// weeks after the start, at one of the busiest quarter of providers (so that its
    /// traffic is enough to tell), no two on one provider's day; the kinds in turn.
    pub(crate) fn plant(&mut self, w: &World<'_>) -> BTreeMap<(String, NaiveDate), Planted> {
        const HOW: [(&str, &str); 4] = [
            ("outage", "failures"),
            ("latency_regression", "slow"),
            ("spike", "fourfold"),
            ("outage", "silence"),
        ];
        let mut planted = BTreeMap::new();
        let mut busiest: Vec<usize> = (0..w.depts.len()).collect();
        busiest.sort_by(|&a, &b| w.depts[b].share.total_cmp(&w.depts[a].share));
        busiest.truncate(w.depts.len().div_ceil(4));
        let first = self.opts.start + chrono::Days::new(56);
        let last = add_months(self.opts.start, self.opts.months) - chrono::Days::new(1);
        let days: Vec<NaiveDate> = first
            .iter_days()
            .take_while(|d| *d <= last)
            .filter(|d| is_working(self.opts.workdays.as_ref(), *d))
            .collect();
        if days.is_empty() {
            return planted;
        }
        let mut tries = 0;
        while (planted.len() as u64) < self.opts.anomalies && tries < 100 * self.opts.anomalies {
            tries += 1;
            let d = days[self.plant_rng.random_range(0..days.len())];
            let p = busiest[self.plant_rng.random_range(0..busiest.len())];
            let id = w.depts[p].id.clone();
            let (kind, how) = HOW[planted.len() % HOW.len()];
            planted.entry((id.clone(), d)).or_insert(Planted {
                department_id: id,
                day: d.to_string(),
                kind,
                how,
            });
        }
        planted
    }

    pub(crate) fn pick_provider(&mut self, w: &World<'_>) -> usize {
        // Weighted by sharing propensity: a few departments serve most exchanges.
        let total = w.provider_cdf.last().copied().unwrap_or(1.0);
        let x = self.rng.random_range(0.0..total);
        w.provider_cdf
            .partition_point(|&c| c <= x)
            .min(w.depts.len() - 1)
    }

    pub(crate) fn pick_resource(&mut self, ids: &[&str]) -> Val<'static> {
        if ids.is_empty() {
            Val::Null
        } else {
            Val::Owned(ids[self.rng.random_range(0..ids.len())].to_string())
        }
    }

    pub(crate) fn exchange(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        let depts = w.depts;
        let p = self.pick_provider(w);
        let c = if self.rng.random_bool(0.02) {
            p
        } else {
            self.other(p, depts.len())
        };
        let d = &depts[p];
        let resource = if self.rng.random_bool(0.05) {
            Val::Null
        } else {
            self.pick_resource(&w.shareable[p])
        };
        let roll: f64 = self.rng.random();
        let status = if roll < d.fail_rate * 0.5 {
            "failed"
        } else if roll < d.fail_rate * 0.7 {
            "rejected"
        } else if roll < d.fail_rate {
            "timeout"
        } else {
            "success"
        };
        let latency_ms = LogNormal::new(d.median_ms.ln(), 0.6)
            .expect("valid")
            .sample(&mut self.rng);
        let responded = match status {
            "success" if self.rng.random_bool(0.99) => ts(t + (latency_ms * 1000.0) as i64),
            "failed" | "rejected" => ts(t + (latency_ms * 300.0) as i64),
            _ => Val::Null,
        };
        let records = if status == "success" {
            let n = LogNormal::new(3.5 + d.share.ln().max(-2.0), 1.4)
                .expect("valid")
                .sample(&mut self.rng);
            if self.rng.random_bool(0.03) {
                Val::Null
            } else {
                Val::Int(n as i64)
            }
        } else {
            Val::Int(0)
        };
        let bytes = match records {
            Val::Int(n) => Val::Int(n * self.rng.random_range(120..900) + 512),
            _ => Val::Null,
        };
        let mode = pick(&mut self.rng, &[("api", 0.7), ("file", 0.2), ("sync", 0.1)]);
        vec![
            Val::Owned(format!("E{:010}", i + 1)),
            ts(t),
            responded,
            Val::Owned(depts[c].id.clone()),
            Val::Owned(d.id.clone()),
            resource,
            Val::Str(status),
            records,
            bytes,
            Val::Str(mode),
        ]
    }

    pub(crate) fn other(&mut self, not: usize, n: usize) -> usize {
        let k = self.rng.random_range(0..n - 1);
        if k >= not { k + 1 } else { k }
    }

    pub(crate) fn share_request(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        let depts = w.depts;
        let p = self.pick_provider(w);
        let c = self.other(p, depts.len());
        let d = &depts[p];
        let resource = self.pick_resource(&w.conditional[p]);
        let days = LogNormal::new(d.decision_days.ln(), 0.7)
            .expect("valid")
            .sample(&mut self.rng);
        let decided = add_working_days(t, days, self.opts.timezone);
        let (decided_at, decision) = if decided >= self.end_us {
            (Val::Null, "pending")
        } else if self.rng.random_bool(0.8) {
            (ts(decided), "approved")
        } else {
            (ts(decided), "rejected")
        };
        vec![
            Val::Owned(format!("Q{:08}", i + 1)),
            Val::Owned(depts[c].id.clone()),
            Val::Owned(d.id.clone()),
            resource,
            ts(t),
            decided_at,
            Val::Str(decision),
        ]
    }

    /// Service case `i`, submitted at `t`. Long on purpose: the random draws stay in
    /// one place, in the order that makes a seed give the same rows.
    pub(crate) fn service(&mut self, i: u64, t: i64, w: &World<'_>) -> Row {
        // Long: one service case's fields in the table's column order, each drawn in
        // turn from the one random stream (reordering them would change every file).
        let depts = w.depts;
        // Cities and counties handle most cases.
        let d_ix = loop {
            let k = self.rng.random_range(0..depts.len());
            if depts[k].level != "province" || self.rng.random_bool(0.3) {
                break k;
            }
        };
        let d = &depts[d_ix];
        let channel = if self.rng.random_bool(d.online) {
            pick(
                &mut self.rng,
                &[("online", 0.5), ("mobile", 0.4), ("self_service", 0.1)],
            )
        } else {
            "hall"
        };
        let promised = if self.rng.random_bool(0.1) {
            None
        } else {
            Some(
                *[0i64, 1, 3, 5, 10, 15, 20]
                    .get(self.rng.random_range(0..7))
                    .unwrap_or(&5),
            )
        };
        let status = pick(
            &mut self.rng,
            &[
                ("completed", 0.85),
                ("rejected", 0.05),
                ("withdrawn", 0.03),
                ("in_progress", 0.07),
            ],
        );
        let limit = promised.unwrap_or(5) as f64;
        let late = self.rng.random_bool(1.0 - d.diligence * 0.9);
        let days = if late {
            limit + self.rng.random_range(0.5..6.0)
        } else {
            self.rng.random_range(0.0..=limit.max(0.2))
        };
        let completed = match status {
            "in_progress" | "withdrawn" => Val::Null,
            _ => ts(add_working_days(t, days, self.opts.timezone)),
        };
        let rating = if self.rng.random_bool(0.45) {
            Val::Null
        } else {
            let good = 0.55 + 0.4 * d.diligence;
            Val::Int(if self.rng.random_bool(good) {
                self.rng.random_range(4..=5)
            } else {
                self.rng.random_range(1..=3)
            })
        };
        let visits = if self.rng.random_bool(0.05) {
            Val::Null
        } else if channel == "hall" {
            Val::Int(self.rng.random_range(1..=3))
        } else {
            Val::Int(i64::from(self.rng.random_bool(0.08)))
        };
        let reuse = if self.rng.random_bool(0.1) {
            Val::Null
        } else {
            Val::Bool(self.rng.random_bool(d.diligence * 0.8))
        };
        let applicant = Val::Owned(format!(
            "320{:015}",
            self.rng.random_range(0..10u64.pow(15))
        ));
        vec![
            Val::Owned(format!("C{:010}", i + 1)),
            Val::Owned(d.id.clone()),
            Val::Owned(format!("SV{:04}", self.rng.random_range(1..=240))),
            Val::Str(channel),
            ts(t),
            completed,
            promised.map_or(Val::Null, Val::Int),
            Val::Str(status),
            rating,
            visits,
            reuse,
            applicant,
        ]
    }
}

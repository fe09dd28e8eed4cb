//! X-Road operational-monitoring records (`--format xroad`): the departments' exchanges
//! as their security servers would have logged them, for the adapter's tests and
//! benchmark.
//!
//! Every department is an X-Road member (instance `CN-JS`, class `GOV`, its `dept_id`
//! as member code). An exchange is logged twice: a Client record on the consumer's
//! security server and a Producer record on the provider's, the second written a few
//! exchanges later, as two servers' logs interleave. Some exchanges lose a half (a
//! network error before the provider, or a log not collected), some records are
//! repeated, and some exchanges are logged without `xRequestId` as before X-Road 6.22.
//! Every Client record names a person (`messageUserId`), as real logs can.
//!
//! The report's [`XroadTruth`] says how many of each went in: a load must find exactly
//! those.

use std::collections::VecDeque;
use std::io::Write;

use super::*;

/// The X-Road instance of the generated members.
const INSTANCE: &str = "CN-JS";

/// What went into the records: the counts a load of them must give.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct XroadTruth {
    /// Records written, repeats included.
    pub records: u64,
    /// Exchanges: pairs and lone halves.
    pub exchanges: u64,
    /// Exchanges logged on both security servers.
    pub pairs: u64,
    /// Exchanges with only the Client record.
    pub client_only: u64,
    /// Exchanges with only the Producer record.
    pub producer_only: u64,
    /// Records written twice (the second time counted here).
    pub duplicates: u64,
    /// Exchanges logged without `xRequestId`.
    pub legacy: u64,
}

/// Writes `records.ndjson` and `mapping.csv` into `opts.out`.
pub(super) fn generate(g: &mut Gen<'_>) -> Result<GenerateReport, Error> {
    let opts = g.opts;
    let depts = g.departments();
    let catalog = g.catalog(&depts);
    let world = World::new(&depts, &catalog);

    let mapping = opts.out.join("mapping.csv");
    write_mapping(&mapping, &depts)?;

    let path = opts.out.join("records.ndjson");
    let file = File::create(&path).map_err(|e| Error::io(&path, e))?;
    let mut out = BufWriter::with_capacity(1 << 20, file);
    let mut truth = XroadTruth::default();
    // Records waiting to be written: (after which exchange, the line).
    let mut later: VecDeque<(u64, String)> = VecDeque::new();
    let mut times = g.timeline(opts.exchanges);
    let mut write = |record: &str, truth: &mut XroadTruth| {
        truth.records += 1;
        out.write_all(record.as_bytes())
            .and_then(|()| out.write_all(b"\n"))
            .map_err(|e| Error::io(&path, e))
    };
    for i in 0..opts.exchanges {
        let t = times.next(&mut g.rng) / 1000;
        let halves = g.xroad_exchange(i, t, &world, &mut truth);
        for (delay, record) in halves {
            if g.rng.random_bool(0.005) {
                truth.duplicates += 1;
                schedule(
                    &mut later,
                    i + delay + g.rng.random_range(0..200),
                    record.clone(),
                );
            }
            schedule(&mut later, i + delay, record);
        }
        while later.front().is_some_and(|(due, _)| *due <= i) {
            if let Some((_, r)) = later.pop_front() {
                write(&r, &mut truth)?;
            }
        }
    }
    for (_, r) in later {
        write(&r, &mut truth)?;
    }
    out.flush().map_err(|e| Error::io(&path, e))?;

    let mut report = GenerateReport::default();
    report.rows.insert("xroad_records".into(), truth.records);
    report.rows.insert("departments".into(), depts.len() as u64);
    report.files = vec![path, mapping];
    report.xroad = Some(truth);
    Ok(report)
}

/// Queues `record` to be written after exchange `due`, in order of `due`.
fn schedule(later: &mut VecDeque<(u64, String)>, due: u64, record: String) {
    let at = later.partition_point(|(d, _)| *d <= due);
    later.insert(at, (due, record));
}

/// One line per department mapping its whole member, with the department's details;
/// every fifth department's `data` subsystem also has a line of its own.
fn write_mapping(path: &Path, depts: &[Dept]) -> Result<(), Error> {
    let file = File::create(path).map_err(|e| Error::io(path, e))?;
    let mut w = csv::Writer::from_writer(BufWriter::new(file));
    let header = appraise_data::xroad::mapping::KEY_COLUMNS
        .into_iter()
        .chain(Table::Departments.columns().iter().map(|c| c.name));
    w.write_record(header)
        .map_err(|e| Error::csv_write(path, e))?;
    for (i, d) in depts.iter().enumerate() {
        let parent = d.parent.as_deref().unwrap_or("");
        w.write_record([
            INSTANCE, "GOV", &d.id, "", &d.id, &d.name, &d.name_en, d.level, parent, &d.region,
            d.level,
        ])
        .map_err(|e| Error::csv_write(path, e))?;
        if i % 5 == 0 {
            w.write_record([
                INSTANCE, "GOV", &d.id, "data", &d.id, "", "", "", "", "", "",
            ])
            .map_err(|e| Error::csv_write(path, e))?;
        }
    }
    w.flush().map_err(|e| Error::io(path, e))
}

/// The eight time stamps of an exchange requested at `t` (ms), in order: the client's
/// request in and out, the producer's request in and out, and back; `latency` is the
/// provider's own time.
fn hop_times(rng: &mut ChaCha8Rng, t: i64, latency: i64) -> [i64; 8] {
    let mut ts = [0i64; 8];
    ts[0] = t;
    for (k, (lo, hi)) in [
        (1, 6),
        (1, 30),
        (1, 4),
        (latency, latency + 1),
        (1, 4),
        (1, 30),
        (1, 6),
    ]
    .into_iter()
    .enumerate()
    {
        ts[k + 1] = ts[k] + rng.random_range(lo..hi);
    }
    ts
}

/// A random id in the form of a UUID.
fn uuid(rng: &mut ChaCha8Rng) -> String {
    let a: u128 = rng.random();
    let h = format!("{a:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// One exchange as its security servers log it.
struct Exchange<'a> {
    i: u64,
    t: i64,
    consumer: &'a str,
    client_sub: &'a str,
    provider: &'a str,
    service: &'a str,
    message_id: &'a str,
    x_request_id: Option<&'a str>,
    // i32, the type these were drawn as: another type draws other numbers.
    request_size: i32,
    response_size: i32,
    failed: bool,
}

impl Exchange<'_> {
    /// The JSON record of one side (`Client` or `Producer`), without its closing brace:
    /// its four time stamps (absent ones left out) and its fault code, if any.
    fn record(&self, side: &str, times: [Option<i64>; 4], fault: Option<&str>) -> String {
        let Exchange {
            consumer,
            client_sub,
            provider,
            service,
            message_id,
            request_size,
            ..
        } = *self;
        let mut s = String::with_capacity(1100);
        let _ = write!(
            s,
            "{{\"monitoringDataTs\":{},\"securityServerInternalIp\":\"10.{}.0.{}\",\
             \"securityServerType\":\"{side}\"",
            self.t / 1000 + 2,
            self.i % 200,
            self.i % 250
        );
        for (name, v) in [
            "requestInTs",
            "requestOutTs",
            "responseInTs",
            "responseOutTs",
        ]
        .iter()
        .zip(times)
        {
            if let Some(v) = v {
                let _ = write!(s, ",\"{name}\":{v}");
            }
        }
        let _ = write!(
            s,
            ",\"clientXRoadInstance\":\"{INSTANCE}\",\"clientMemberClass\":\"GOV\",\
             \"clientMemberCode\":\"{consumer}\",\"clientSubsystemCode\":\"{client_sub}\",\
             \"serviceXRoadInstance\":\"{INSTANCE}\",\"serviceMemberClass\":\"GOV\",\
             \"serviceMemberCode\":\"{}\",\"serviceSubsystemCode\":\"data\",\
             \"serviceCode\":\"{service}\",\"serviceVersion\":\"v1\",\
             \"messageId\":\"{message_id}\",\"messageProtocolVersion\":\"4.0\",\
             \"clientSecurityServerAddress\":\"ss-{consumer}.gov.example\",\
             \"serviceSecurityServerAddress\":\"ss-{}.gov.example\",\
             \"requestSize\":{request_size},\"requestAttachmentCount\":0,\
             \"serviceType\":\"REST\",\"restMethod\":\"GET\",\"restPath\":\"/{service}\"",
            provider, provider
        );
        if times[2].is_some() {
            let _ = write!(
                s,
                ",\"responseSize\":{},\"responseAttachmentCount\":0,\"statusCode\":{}",
                self.response_size,
                if self.failed { 500 } else { 200 }
            );
        }
        if let Some(id) = self.x_request_id {
            let _ = write!(s, ",\"xRequestId\":\"{id}\"");
        }
        let _ = write!(s, ",\"succeeded\":{}", !self.failed);
        if let Some(code) = fault {
            let _ = write!(
                s,
                ",\"faultCode\":\"{code}\",\"faultString\":\"The exchange failed\""
            );
        }
        s
    }
}

impl Gen<'_> {
    /// The records of exchange `i` requested at `t` (Unix ms), each with how many
    /// exchanges later it is written. Long on purpose: the random draws stay in one
    /// place, in the order that makes a seed give the same records.
    fn xroad_exchange(
        &mut self,
        i: u64,
        t: i64,
        w: &World<'_>,
        truth: &mut XroadTruth,
    ) -> Vec<(u64, String)> {
        // Long: one exchange's two records, their fields drawn in turn from the one
        // random stream (reordering them would change every file).
        let depts = w.depts;
        let p = self.pick_provider(w);
        let c = self.other(p, depts.len());
        let d = &depts[p];
        let rng = &mut self.rng;
        let service = match &w.shareable[p][..] {
            [] => "getData".to_string(),
            ids => ids[rng.random_range(0..ids.len())].to_string(),
        };
        let client_sub = if rng.random_bool(0.7) {
            "portal"
        } else {
            "backoffice"
        };
        let latency = LogNormal::new(d.median_ms.ln(), 0.6)
            .expect("valid")
            .sample(rng) as i64;
        let ts = hop_times(rng, t, latency);
        let failed = rng.random_bool(d.fail_rate);
        // A network error before the provider leaves no Producer record.
        let network_error = failed && rng.random_bool(0.4);
        let lost_producer = network_error || rng.random_bool(0.01);
        let lost_client = !lost_producer && rng.random_bool(0.01);
        let legacy = rng.random_bool(0.03);
        let x_request_id = (!legacy).then(|| uuid(rng));
        let message_id = uuid(rng);
        let request_size = rng.random_range(900..2400);
        let response_size = if failed {
            600
        } else {
            rng.random_range(1_500..60_000)
        };
        let person = format!("CN{:016}", rng.random_range(0..10_000_000_000_000_000u64));
        let delay = rng.random_range(0..20);

        truth.exchanges += 1;
        truth.legacy += u64::from(legacy);
        match (lost_client, lost_producer) {
            (false, false) => truth.pairs += 1,
            (false, true) => truth.client_only += 1,
            _ => truth.producer_only += 1,
        }
        let e = Exchange {
            i,
            t,
            consumer: &depts[c].id,
            client_sub,
            provider: &d.id,
            service: &service,
            message_id: &message_id,
            x_request_id: x_request_id.as_deref(),
            request_size,
            response_size,
            failed,
        };
        let mut out = Vec::with_capacity(2);
        if !lost_client {
            let (times, fault) = if network_error {
                (
                    [Some(ts[0]), None, None, Some(ts[1] + 3)],
                    Some("Server.ClientProxy.NetworkError"),
                )
            } else {
                (
                    [Some(ts[0]), Some(ts[1]), Some(ts[6]), Some(ts[7])],
                    failed.then_some("Server.ServerProxy.ServiceFailed"),
                )
            };
            let mut r = e.record("Client", times, fault);
            let _ = write!(r, ",\"messageUserId\":\"{person}\"}}");
            out.push((0, r));
        }
        if !lost_producer {
            let times = [Some(ts[2]), Some(ts[3]), Some(ts[4]), Some(ts[5])];
            let fault = failed.then_some("Server.ServerProxy.ServiceFailed");
            let mut r = e.record("Producer", times, fault);
            r.push('}');
            out.push((delay, r));
        }
        out
    }
}

//! Timestamp reading: `YYYY-MM-DD[T| ]HH:MM:SS[.fraction][Z|±HH:MM]`.
//!
//! With an offset (or `Z`) the instant is exact; without one the wall-clock time is
//! read in the configured zone. A wall-clock time that a daylight-saving change skips
//! does not exist and is refused; one that it repeats takes the earlier instant.
//! Fractions finer than a microsecond are truncated. The result is microseconds since
//! the Unix epoch, UTC.

use chrono::{LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use chrono_tz::Tz;

/// Parses one timestamp into microseconds since the epoch (UTC).
///
/// The error is a short reason fit for a rejects file.
pub fn parse_timestamp(s: &str, tz: Tz) -> Result<i64, &'static str> {
    let b = s.as_bytes();
    if b.len() < 19 {
        return Err("expected YYYY-MM-DD HH:MM:SS");
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    if b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return Err("expected YYYY-MM-DD HH:MM:SS");
    }
    if b[13] != b':' || b[16] != b':' {
        return Err("expected YYYY-MM-DD HH:MM:SS");
    }
    let mut rest = &b[19..];
    let mut micros = 0u32;
    if let Some((&b'.', frac)) = rest.split_first() {
        let n = frac.iter().take_while(|c| c.is_ascii_digit()).count();
        if n == 0 || n > 9 {
            return Err("fraction of a second must have 1 to 9 digits");
        }
        for (i, &c) in frac[..n.min(6)].iter().enumerate() {
            micros += u32::from(c - b'0') * 10u32.pow(5 - i as u32);
        }
        rest = &frac[n..];
    }
    let date = NaiveDate::from_ymd_opt(year as i32, month, day).ok_or("no such date")?;
    let time =
        NaiveTime::from_hms_micro_opt(hour, minute, second, micros).ok_or("no such time of day")?;
    let naive = NaiveDateTime::new(date, time);
    let utc = match rest {
        [] => match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.naive_utc(),
            LocalResult::None => return Err("local time does not exist in the time zone"),
        },
        [b'Z' | b'z'] => naive,
        [sign @ (b'+' | b'-'), h1, h2, b':', m1, m2] => {
            let h = digits(&[*h1, *h2])?;
            let m = digits(&[*m1, *m2])?;
            if h > 23 || m > 59 {
                return Err("offset out of range");
            }
            let secs = i64::from(h * 3600 + m * 60);
            let offset = if *sign == b'+' { secs } else { -secs };
            naive - chrono::Duration::seconds(offset)
        }
        _ => return Err("expected Z or an offset ±HH:MM after the time"),
    };
    Ok(utc.and_utc().timestamp_micros())
}

fn digits(b: &[u8]) -> Result<u32, &'static str> {
    let mut v = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err("expected YYYY-MM-DD HH:MM:SS");
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn us(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_micros()
    }

    #[test]
    fn local_time_is_read_in_the_zone() {
        // 09:15:32 in Shanghai (UTC+8) is 01:15:32 UTC.
        let want = us("2026-07-01T01:15:32Z");
        assert_eq!(parse_timestamp("2026-07-01 09:15:32", SH), Ok(want));
        assert_eq!(parse_timestamp("2026-07-01T09:15:32", SH), Ok(want));
        assert_eq!(parse_timestamp("2026-07-01T09:15:32+08:00", SH), Ok(want));
        assert_eq!(parse_timestamp("2026-07-01T01:15:32Z", SH), Ok(want));
        assert_eq!(parse_timestamp("2026-06-30T20:15:32-05:00", SH), Ok(want));
    }

    #[test]
    fn fractions_are_kept_to_the_microsecond() {
        let base = us("2026-07-01T01:15:32Z");
        assert_eq!(
            parse_timestamp("2026-07-01 09:15:32.5", SH),
            Ok(base + 500_000)
        );
        assert_eq!(
            parse_timestamp("2026-07-01 09:15:32.000123", SH),
            Ok(base + 123)
        );
        assert_eq!(
            parse_timestamp("2026-07-01 09:15:32.123456789", SH),
            Ok(base + 123_456)
        );
    }

    #[test]
    fn malformed_values_are_refused() {
        for bad in [
            "2026-07-01",
            "2026/07/01 09:15:32",
            "2026-02-30 10:00:00",
            "2026-07-01 24:00:00",
            "2026-07-01 09:15:32+8",
            "2026-07-01 09:15:32.",
            "2026-07-01 09:15:32 ",
            "yesterday at noon",
            "",
        ] {
            assert!(parse_timestamp(bad, SH).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn daylight_saving_gaps_and_overlaps() {
        let ny: Tz = chrono_tz::America::New_York;
        // 2026-03-08 02:30 does not exist in New York (clocks jump 02:00 → 03:00).
        assert!(parse_timestamp("2026-03-08 02:30:00", ny).is_err());
        // 2026-11-01 01:30 happens twice; the earlier (EDT, UTC−4) is taken.
        assert_eq!(
            parse_timestamp("2026-11-01 01:30:00", ny),
            Ok(us("2026-11-01T05:30:00Z"))
        );
    }
}

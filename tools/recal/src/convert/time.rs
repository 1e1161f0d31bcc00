//! Timestamps in CSV files, and Deribit's date spelling.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;

/// The unit of a numeric time column, or ISO-8601 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum TimeUnit {
    /// Seconds since the Unix epoch.
    S,
    /// Milliseconds since the Unix epoch.
    Ms,
    /// Microseconds since the Unix epoch.
    Us,
    /// Nanoseconds since the Unix epoch.
    Ns,
    /// ISO-8601 / RFC 3339 text; without an offset it is read as UTC.
    Iso,
}

impl TimeUnit {
    const fn nanos_per_unit(self) -> u64 {
        match self {
            Self::S => 1_000_000_000,
            Self::Ms => 1_000_000,
            Self::Us => 1_000,
            Self::Ns | Self::Iso => 1,
        }
    }
}

/// `text` in `unit` as nanoseconds since the Unix epoch; a fractional numeric value is
/// rounded down to the nanosecond. `None` if it does not parse or is before 1970.
pub(crate) fn parse(text: &str, unit: TimeUnit) -> Option<u64> {
    if unit == TimeUnit::Iso {
        return parse_iso(text);
    }
    let scale = unit.nanos_per_unit();
    let (integer, fraction) = text.split_once('.').unwrap_or((text, ""));
    if integer.is_empty() || !integer.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let whole = integer.parse::<u64>().ok()?.checked_mul(scale)?;
    let mut part = 0;
    let mut weight = scale;
    for digit in fraction.bytes() {
        weight /= 10;
        part += u64::from(digit - b'0') * weight;
    }
    whole.checked_add(part)
}

fn parse_iso(text: &str) -> Option<u64> {
    let timestamp = text.parse::<Timestamp>().ok().or_else(|| {
        let civil = text.parse::<DateTime>().ok().or_else(|| {
            text.parse::<Date>()
                .ok()
                .map(|date| date.to_datetime(jiff::civil::Time::midnight()))
        })?;
        civil
            .to_zoned(TimeZone::UTC)
            .ok()
            .map(|zoned| zoned.timestamp())
    })?;
    u64::try_from(timestamp.as_nanosecond()).ok()
}

/// Deribit's spelling of the UTC date of `nanos`: `31OCT25`, `5JUN20`.
pub(crate) fn deribit_date(nanos: u64) -> Option<String> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    let timestamp = Timestamp::from_nanosecond(i128::from(nanos)).ok()?;
    let date = timestamp.to_zoned(TimeZone::UTC).date();
    let month = MONTHS.get(usize::try_from(date.month()).ok()?.checked_sub(1)?)?;
    Some(format!("{}{month}{:02}", date.day(), date.year() % 100))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_units() {
        assert_eq!(
            parse("1584003600000", TimeUnit::Ms),
            Some(1_584_003_600_000_000_000)
        );
        assert_eq!(
            parse("1760054406843000", TimeUnit::Us),
            Some(1_760_054_406_843_000_000)
        );
        assert_eq!(
            parse("1584003600.25", TimeUnit::S),
            Some(1_584_003_600_250_000_000)
        );
        assert_eq!(parse("7", TimeUnit::Ns), Some(7));
        for bad in ["", "-1", "1e9", "12a", ".5", "99999999999999999999"] {
            assert_eq!(parse(bad, TimeUnit::Ms), None, "{bad}");
        }
    }

    #[test]
    fn iso_text() {
        let expected = Some(1_760_054_407_000_000_000);
        assert_eq!(parse("2025-10-10 00:00:07", TimeUnit::Iso), expected);
        assert_eq!(parse("2025-10-10T00:00:07Z", TimeUnit::Iso), expected);
        assert_eq!(parse("2025-10-10T02:00:07+02:00", TimeUnit::Iso), expected);
        assert_eq!(
            parse("2020-03-12T00:10:00.0000000Z", TimeUnit::Iso),
            Some(1_583_971_800_000_000_000)
        );
        assert_eq!(
            parse("2025-10-10", TimeUnit::Iso),
            Some(1_760_054_400_000_000_000)
        );
        assert_eq!(parse("10/10/2025", TimeUnit::Iso), None);
    }

    #[test]
    fn deribit_dates() {
        assert_eq!(
            deribit_date(1_761_897_600_000_000_000).as_deref(),
            Some("31OCT25")
        );
        assert_eq!(
            deribit_date(1_591_344_000_000_000_000).as_deref(),
            Some("5JUN20")
        );
    }
}

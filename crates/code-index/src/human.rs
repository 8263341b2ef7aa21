//! Numbers for people: `1,234,567`, `21.1 MiB`, `3m 12s`.

/// `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `1 file`, `2,028 files`: a count and its noun.
pub fn count(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", thousands(n), if n == 1 { one } else { many })
}

/// `512 B`, `21.1 MiB`.
pub fn bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{n} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// `45s`, `3m 12s`, `1h 02m`.
pub fn duration(seconds: u64) -> String {
    let (h, m, s) = (seconds / 3600, seconds / 60 % 60, seconds % 60);
    if h > 0 && m == 0 {
        format!("{h}h")
    } else if h > 0 {
        format!("{h}h {m:02}m")
    } else if m > 0 && s == 0 {
        format!("{m}m")
    } else if m > 0 {
        format!("{m}m {s:02}s")
    } else {
        format!("{s}s")
    }
}

/// A daemon's state for people: `ready`, `indexing (1,200 of 5,000 files)`,
/// `failed: <why>`.
pub fn daemon_state(status: &code_index_protocol::StatusResult) -> String {
    match (&status.progress, &status.error) {
        (_, Some(error)) => format!("{}: {error}", status.state),
        (Some(p), None) if status.state != "ready" => format!(
            "{} ({} of {} files)",
            status.state,
            thousands(p.done),
            thousands(p.total)
        ),
        _ => status.state.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_sizes_and_durations() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(22_124_000), "21.1 MiB");
        assert_eq!(duration(45), "45s");
        assert_eq!(duration(192), "3m 12s");
        assert_eq!(duration(3720), "1h 02m");
        assert_eq!(duration(1800), "30m");
        assert_eq!(duration(7200), "2h");
        assert_eq!(count(1, "file", "files"), "1 file");
        assert_eq!(
            count(2028, "definition", "definitions"),
            "2,028 definitions"
        );
    }
}

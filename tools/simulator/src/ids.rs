//! Ids and times as Thumbtack writes them, for every part of the simulator.

/// An opaque token or code: nothing a partner could decode (facts §1.3: do not read tokens).
pub fn opaque(len: usize) -> String {
    std::iter::repeat_with(fastrand::alphanumeric)
        .take(len)
        .collect()
}

/// Now, as Thumbtack writes times: RFC 3339, UTC, second precision.
pub fn now_rfc3339() -> String {
    let now = jiff::Timestamp::now();
    jiff::Timestamp::from_second(now.as_second())
        .map(|t| t.to_string())
        .unwrap_or_else(|_| now.to_string())
}

//! The input layout the session targets share: a flags byte, a count `n`
//! (mod 8), `n` chunk lengths, then the payload. The payload is cut into
//! chunks of those lengths (cycled), so one input tests a session fed in
//! pieces against the same bytes fed whole.

/// A target's input, read.
pub struct Input<'a> {
    pub flags: u8,
    /// The payload in the pieces the lengths say; together, all of it.
    pub chunks: Vec<&'a [u8]>,
    pub payload: &'a [u8],
}

/// `None` when the input is too short to hold the two header bytes.
pub fn read(data: &[u8]) -> Option<Input<'_>> {
    let (&flags, rest) = data.split_first()?;
    let (&n, rest) = rest.split_first()?;
    let n = usize::from(n % 8).min(rest.len());
    let (lengths, payload) = rest.split_at(n);
    let mut chunks = Vec::new();
    let mut at = 0;
    for &len in lengths.iter().cycle() {
        if at >= payload.len() {
            break;
        }
        let end = (at + usize::from(len) + 1).min(payload.len());
        chunks.push(&payload[at..end]);
        at = end;
    }
    if at < payload.len() {
        chunks.push(&payload[at..]);
    }
    Some(Input {
        flags,
        chunks,
        payload,
    })
}

//! The world's CA certificate, written where real clients can read it:
//! `swaks --tls-ca-path`, `curl --cacert`, Python's `cafile=` and
//! `openssl s_client -CAfile` trust the world's servers through it.
//!
//! Which randomness serves real clients: theirs is their own (the OS's,
//! in the client); the world's end stays seeded like inside the world (a
//! generator from the scenario's seed and the connection), and its clock
//! is the wall clock the world runs on. So a real session's records are
//! not the same twice, yet its trace carries the key log as a simulated
//! one does, and the CA key follows from the seed: these certificates
//! are for a classroom, not for secrets.

use std::path::{Path, PathBuf};

use super::ServeError;

/// Writes `pem` to `path` (replacing what was there) and says where it is.
/// Written beside it and renamed into place: two worlds of one scenario
/// share the default path, and a client reading it while the other world
/// truncated it found no certificate (`serve_tls`'s tests run in parallel).
pub(super) fn write_ca(path: &Path, pem: &str) -> Result<PathBuf, ServeError> {
    let failed = |source| ServeError::CaFile {
        path: path.to_owned(),
        source,
    };
    let mut beside = path.as_os_str().to_owned();
    beside.push(format!(".{}.tmp", std::process::id()));
    let beside = PathBuf::from(beside);
    std::fs::write(&beside, pem)
        .and_then(|()| std::fs::rename(&beside, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&beside);
            failed(e)
        })?;
    Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
}

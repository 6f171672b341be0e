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
pub(super) fn write_ca(path: &Path, pem: &str) -> Result<PathBuf, ServeError> {
    let failed = |source| ServeError::CaFile {
        path: path.to_owned(),
        source,
    };
    std::fs::write(path, pem).map_err(failed)?;
    Ok(std::path::absolute(path).unwrap_or_else(|_| path.to_owned()))
}

//! Enough file descriptors for `--max-connections`.
//!
//! Every real connection holds a socket, and many systems start a process
//! with a soft limit of 1,024 descriptors while allowing far more (the hard
//! limit). A server that means to hold a thousand clients raises its own
//! soft limit, as nginx's `worker_rlimit_nofile` or Go's runtime do; where
//! the hard limit is too low for that, it serves fewer clients and says so,
//! rather than fail in `accept` under load.

use rustix::process::{Resource, Rlimit, getrlimit, setrlimit};

/// Descriptors the process needs beside its clients: listeners, stdio, the
/// recording, outgoing connections of the world, the runtime's own.
const SPARE: u64 = 64;

/// Raises the soft limit on open files to fit `connections` clients, and
/// returns how many clients fit: `connections`, or fewer when the hard
/// limit does not allow it.
pub fn fit(connections: usize) -> usize {
    let want = connections as u64 + SPARE;
    let limit = getrlimit(Resource::Nofile);
    let current = limit.current.unwrap_or(u64::MAX);
    if current >= want {
        return connections;
    }
    let maximum = limit.maximum.unwrap_or(u64::MAX);
    let raised = want.min(maximum);
    let now = match setrlimit(
        Resource::Nofile,
        Rlimit {
            current: Some(raised),
            maximum: limit.maximum,
        },
    ) {
        Ok(()) => raised,
        Err(_) => current,
    };
    if now >= want {
        connections
    } else {
        now.saturating_sub(SPARE).max(1) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_limit_already_high_enough_is_left_alone() {
        let before = getrlimit(Resource::Nofile);
        assert_eq!(fit(1), 1);
        assert_eq!(getrlimit(Resource::Nofile).current, before.current);
    }

    #[test]
    fn more_clients_than_the_hard_limit_allows_are_cut_to_fit() {
        let maximum = getrlimit(Resource::Nofile).maximum;
        if let Some(maximum) = maximum {
            let fits = fit(maximum as usize + 10);
            assert_eq!(fits as u64, maximum - SPARE);
        }
    }
}

//! Hello grown to `n` messages, for the benches that measure a large run:
//! alice sends one every 100 ms and bob fetches them all at the end.

use std::time::Duration;

use mailflow::plan::Plan;

pub fn hello_times(plan: &Plan, n: u64) -> Plan {
    let mut big = plan.clone();
    let alice = &mut big.clients[0];
    let template = alice.send[0].clone();
    alice.send = (0..n)
        .map(|i| {
            let mut m = template.clone();
            m.at = Duration::from_millis(100 * i);
            m.subject = format!("Hello {i}");
            m
        })
        .collect();
    big.run_for = Duration::from_secs(24 * 3600);
    let last = Duration::from_millis(100 * n) + Duration::from_secs(600);
    big.clients[1].fetch = vec![last];
    big
}

//! Sender authentication checked by independent implementations:
//!
//! * messages that mailflow's MTAs signed, taken from the trace as they
//!   were delivered, verify with Python's dkimpy, given the key record the
//!   scenario's zone publishes (RFC 6376, RFC 8463); a message whose body a
//!   list footer changed fails there too;
//! * pyspf, asking mailflow's DNS over `serve --dns`, gives the same SPF
//!   result as mailflow for the same questions (RFC 7208).
//!
//! Both skip loudly where the Python modules are missing; `.ci/run`
//! installs them (Debian's python3-dkim, python3-spf, python3-nacl).

#[path = "support/serve.rs"]
mod serve;

use std::net::IpAddr;
use std::process::Command;
use std::time::{Duration, Instant};

use mailflow::auth::spf::{Identity, check_host};
use mailflow::dns::{
    Answer, Authority, LookupError, QueryType, Record, RecordData, Resolver, ResolverConfig,
};
use mailflow::trace::EventKind;
use mailflow::{scenario, sim};
use serve::{PROGRAM_TIMEOUT, Server, TempDir, have_python_module, python, run_bounded};

/// A Python that can import `module`: the tests' own, or Debian's (where
/// apt installs python3-dkim and python3-spf), or a loud skip.
fn python_with(test: &str, module: &str, install: &str) -> Option<String> {
    for candidate in [python(), "/usr/bin/python3".to_owned()] {
        let ok = Command::new(&candidate)
            .args(["-c", &format!("import {module}")])
            .output()
            .is_ok_and(|o| o.status.success());
        if ok {
            return Some(candidate);
        }
    }
    have_python_module(test, module, install);
    None
}

/// The content delivered to `mailbox` in a run of `name` (or its variant).
fn delivered(name: &str, variant: Option<&str>, mailbox: &str) -> (Vec<u8>, mailflow::plan::Plan) {
    let loaded = scenario::load(name).expect("bundled scenarios load");
    let plan = match variant {
        Some(v) => {
            loaded
                .variants
                .into_iter()
                .find(|(n, _)| n == v)
                .expect("the variant exists")
                .1
        }
        None => loaded.plan,
    };
    let run = sim::run(&plan);
    let content = run
        .trace
        .events()
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Delivered { rest, .. } if rest.mailbox == mailbox => {
                Some(rest.content.as_bytes().to_vec())
            }
            _ => None,
        })
        .unwrap_or_else(|| panic!("{name}: nothing delivered to {mailbox}"));
    (content, plan)
}

/// The TXT record at `owner` in the plan's zones.
fn txt(plan: &mailflow::plan::Plan, owner: &str) -> String {
    plan.dns
        .iter()
        .flat_map(|d| d.zones.iter().flat_map(|z| z.records.iter()))
        .find_map(|r| match &r.data {
            RecordData::Txt(t) if r.name == owner => Some(t.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no TXT at {owner}"))
}

const DKIMPY: &str = r#"
import sys, dkim
message = open(sys.argv[1], 'rb').read()
record = open(sys.argv[2], 'rb').read()
asked = []
def dnsfunc(name, timeout=5):
    asked.append(name)
    return record
ok = dkim.verify(message, dnsfunc=dnsfunc)
print('pass' if ok else 'fail', b','.join(asked).decode())
"#;

#[test]
fn dkimpy_verifies_what_mailflow_signed_rfc6376_6_and_rfc8463() {
    let test = "dkimpy_verifies";
    let Some(py) = python_with(test, "dkim", "apt-get install -y python3-dkim python3-nacl") else {
        return;
    };
    let dir = TempDir::new("dkimpy");
    // (scenario, variant, mailbox, algorithm, dkimpy should say)
    let cases = [
        (
            "dmarc-spoof",
            None,
            "bob@example.net",
            "ed25519-sha256",
            "pass",
        ),
        ("forwarding", None, "bob@example.com", "rsa-sha256", "pass"),
        (
            "mailing-list",
            Some("monitor"),
            "bob@example.com",
            "ed25519-sha256",
            "fail",
        ),
    ];
    for (name, variant, mailbox, algorithm, want) in cases {
        let (message, plan) = delivered(name, variant, mailbox);
        let text = String::from_utf8_lossy(&message);
        assert!(
            text.contains(&format!("a={algorithm};")),
            "{name}: signed with {algorithm}"
        );
        let record = txt(&plan, "mail._domainkey.example.org");
        let m = dir.path().join(format!("{name}.eml"));
        let k = dir.path().join(format!("{name}.key"));
        std::fs::write(&m, &message).unwrap();
        std::fs::write(&k, &record).unwrap();
        let ran = run_bounded(
            Command::new(&py).args(["-c", DKIMPY]).arg(&m).arg(&k),
            PROGRAM_TIMEOUT,
        );
        assert!(
            ran.status.success(),
            "{name}: dkimpy failed to run:\n{}",
            ran.both()
        );
        let said = ran.stdout.trim();
        assert!(
            said.starts_with(want),
            "{name}: dkimpy says {said:?}, want {want}\n{text}"
        );
        assert!(
            said.contains("mail._domainkey.example.org"),
            "{name}: dkimpy asked for {said:?}"
        );
        // And mailflow's receiver said the same in its own header.
        let found = mailflow::auth::results::read(&message);
        assert_eq!(found.result("dkim"), Some(want), "{name}: {found}");
    }
}

/// mailflow's SPF asking the scenario's zones through the stub resolver,
/// query and answer as RFC 1035 bytes.
struct Wire {
    authority: Authority,
    resolver: Resolver,
}

impl mailflow::auth::Dns for Wire {
    async fn lookup(&mut self, name: &str, qtype: QueryType) -> Result<Vec<Record>, LookupError> {
        let now = Instant::now();
        let id = self.resolver.lookup(name, qtype, now);
        while let Some(query) = self.resolver.poll_transmit() {
            if let Answer::Reply(reply) = self.authority.answer(&query, Duration::ZERO) {
                self.resolver.handle_datagram(&reply, now);
            }
        }
        match self.resolver.poll_result() {
            Some((done, result)) if done == id => result,
            _ => Err(LookupError::Timeout),
        }
    }
}

const PYSPF: &str = r#"
import sys, spf, dns.resolver
r = dns.resolver.Resolver(configure=False)
r.nameservers = ['127.0.0.1']
r.port = int(sys.argv[1])
dns.resolver.default_resolver = r
for line in sys.stdin:
    ip, sender, helo = line.split()
    print(spf.check2(i=ip, s=sender, h=helo)[0])
"#;

#[test]
fn pyspf_agrees_with_mailflow_over_serve_dns_rfc7208_4() {
    let test = "pyspf_agrees";
    let Some(py) = python_with(test, "spf", "apt-get install -y python3-spf") else {
        return;
    };
    let path = serve::real("spf-zoo.ron");
    let path = path.to_str().expect("a UTF-8 path");
    let plan = scenario::load(path).expect("spf-zoo loads").plan;
    let zones = plan.dns.iter().flat_map(|d| d.zones.clone()).collect();
    let mut wire = Wire {
        authority: Authority::new(zones),
        resolver: Resolver::new(ResolverConfig::default(), 7),
    };
    let cases = [
        ("192.0.2.25", "alice@example.org", "pass"),
        ("203.0.113.9", "alice@example.org", "fail"),
        ("203.0.113.9", "x@soft.example.org", "softfail"),
        ("192.0.2.9", "x@soft.example.org", "pass"),
        ("203.0.113.9", "x@neutral.example.org", "neutral"),
        ("192.0.2.25", "x@inc.example.org", "pass"),
        ("203.0.113.9", "x@inc.example.org", "fail"),
        ("192.0.2.25", "x@redir.example.org", "pass"),
        ("203.0.113.9", "x@redir.example.org", "fail"),
        ("192.0.2.25", "x@macro.example.org", "pass"),
        ("192.0.2.26", "x@macro.example.org", "fail"),
        ("192.0.2.77", "x@cidr.example.org", "pass"),
        ("192.0.3.77", "x@cidr.example.org", "fail"),
        ("192.0.2.25", "x@void.example.org", "permerror"),
        ("192.0.2.25", "x@many.example.org", "permerror"),
        ("192.0.2.25", "x@two.example.org", "permerror"),
        ("192.0.2.25", "x@nospf.example.org", "none"),
        ("192.0.2.25", "x@nowhere.example.org", "none"),
    ];
    let ours: Vec<String> = cases
        .iter()
        .map(|(ip, sender, _)| {
            let identity = Identity::of(
                ip.parse::<IpAddr>().unwrap(),
                Some(sender),
                "client.example.org",
            );
            let out = tokio::runtime::Builder::new_current_thread()
                .build()
                .unwrap()
                .block_on(check_host(&mut wire, &identity));
            out.result.as_str().to_owned()
        })
        .collect();
    for ((ip, sender, want), got) in cases.iter().zip(&ours) {
        assert_eq!(got, want, "mailflow: {sender} from {ip}");
    }
    let server = Server::start_scenario(path, &[]);
    let input: String = cases
        .iter()
        .map(|(ip, sender, _)| format!("{ip} {sender} client.example.org\n"))
        .collect();
    let dir = TempDir::new("pyspf");
    let questions = dir.path().join("questions");
    std::fs::write(&questions, input).unwrap();
    let ran = run_bounded(
        Command::new("sh")
            .arg("-c")
            .arg(format!(
                "{py} -c \"$0\" {} < {}",
                server.dns.port(),
                questions.display()
            ))
            .arg(PYSPF),
        PROGRAM_TIMEOUT,
    );
    server.stop();
    assert!(ran.status.success(), "pyspf failed to run:\n{}", ran.both());
    let theirs: Vec<&str> = ran.stdout.lines().map(str::trim).collect();
    assert_eq!(theirs.len(), cases.len(), "{}", ran.both());
    for (((ip, sender, _), ours), theirs) in cases.iter().zip(&ours).zip(&theirs) {
        assert_eq!(
            ours, theirs,
            "{sender} from {ip}: mailflow and pyspf disagree"
        );
    }
}

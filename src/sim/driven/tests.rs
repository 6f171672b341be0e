use super::*;
use crate::trace::Dir;

fn hello() -> Plan {
    crate::scenario::load("hello").expect("bundled").plan
}

/// The lines of a whole submission by alice, as a student types them.
fn alice_writes_to(rcpt: &str) -> Vec<Order> {
    let mut orders = vec![Order::Connect {
        to: "smtp.example.org".into(),
        port: 587,
    }];
    for line in [
        "EHLO laptop.example.org",
        // \0alice@example.org\0alice
        "AUTH PLAIN AGFsaWNlQGV4YW1wbGUub3JnAGFsaWNl",
        "MAIL FROM:<alice@example.org>",
        &format!("RCPT TO:<{rcpt}>"),
        "DATA",
        "Subject: typed by hand",
        "",
        "Hi Bob.",
        ".",
        "QUIT",
    ] {
        orders.push(Order::Send(format!("{line}\r\n").into_bytes()));
    }
    orders
}

fn play(plan: &Plan, host: &str, orders: &[Order]) -> (Vec<Event>, Vec<Report>) {
    let host = hand(plan, host).unwrap();
    let mut events = Vec::new();
    let (mut stepper, first) = Stepper::new(plan, host, &mut events);
    let mut reports = vec![first];
    for order in orders {
        reports.push(stepper.order(order.clone(), &mut events));
    }
    (events, reports)
}

fn sent_up(events: &[Event], conn: crate::trace::ConnId) -> Vec<u8> {
    events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Bytes {
                conn: c,
                dir: Dir::Up,
                data,
                ..
            } if *c == conn => Some(data.as_bytes().to_vec()),
            _ => None,
        })
        .flatten()
        .collect()
}

#[test]
fn a_typed_submission_is_traced_byte_for_byte_and_delivered_to_bob() {
    let plan = hello();
    let (events, reports) = play(
        &plan,
        "laptop.example.org",
        &alice_writes_to("bob@example.net"),
    );
    let conn = reports[1].wire.conn().expect("the connection opened");
    let up = String::from_utf8(sent_up(&events, conn)).unwrap();
    assert!(
        up.starts_with("EHLO laptop.example.org\r\nAUTH PLAIN "),
        "{up}"
    );
    assert!(
        up.contains("\r\nSubject: typed by hand\r\n\r\nHi Bob.\r\n.\r\nQUIT\r\n"),
        "{up}"
    );
    assert!(
        events.iter().any(|e| matches!(&e.kind,
            EventKind::Delivered { rest, .. } if rest.mailbox == "bob@example.net")),
        "the relay delivered the typed message to bob"
    );
    assert!(matches!(reports.last().unwrap().wire, Wire::Closed { .. }));
    // The laptop's own scripted message was never written.
    assert!(
        !events
            .iter()
            .any(|e| matches!(e.kind, EventKind::Composed { .. }))
    );
    // Sequence numbers run on without a gap.
    assert!(events.iter().enumerate().all(|(i, e)| e.seq == i as u64));
}

#[test]
fn the_world_waits_while_the_student_types() {
    let plan = hello();
    let orders = alice_writes_to("bob@example.net");
    let (_, reports) = play(&plan, "laptop.example.org", &orders[..3]);
    // Each order moves the clock only by what it set off and a quiet second.
    for pair in reports.windows(2) {
        let step = pair[1].now.duration() - pair[0].now.duration();
        assert!(step <= QUIET + Duration::from_millis(500), "{step:?}");
    }
    // bob's phone fetches at +5m: only when time is let run.
    let (events, reports) = play(
        &plan,
        "laptop.example.org",
        &[orders.clone(), vec![Order::Wait(None)]].concat(),
    );
    assert!(reports.last().unwrap().now.duration() >= Duration::from_secs(300));
    assert!(events.iter().any(
        |e| matches!(&e.kind, EventKind::Retrieved { mailbox, .. } if mailbox == "bob@example.net")
    ));
}

#[test]
fn the_same_typed_lines_give_the_same_trace() {
    let plan = crate::scenario::load("greylisting").expect("bundled").plan;
    let mut orders = alice_writes_to("bob@example.net");
    orders.extend([Order::Wait(None), Order::Run]);
    let (first, a) = play(&plan, "laptop.example.org", &orders);
    let (second, b) = play(&plan, "laptop.example.org", &orders);
    assert_eq!(a, b);
    assert_eq!(format!("{first:?}"), format!("{second:?}"));
}

#[test]
fn a_connection_to_a_closed_port_is_refused_and_said_so() {
    let plan = hello();
    let (_, reports) = play(
        &plan,
        "laptop.example.org",
        &[Order::Connect {
            to: "mx.example.net".into(),
            port: 587,
        }],
    );
    assert!(
        matches!(&reports[1].wire, Wire::Failed { why, .. } if why.contains("refused")),
        "{:?}",
        reports[1]
    );
}

#[test]
fn the_thread_gives_the_same_events_as_the_stepper() {
    let plan = hello();
    let orders = alice_writes_to("bob@example.net");
    let (stepped, _) = play(&plan, "laptop.example.org", &orders);
    let host = hand(&plan, "laptop.example.org").unwrap();
    let driven = start(plan, host).unwrap();
    for order in orders {
        assert!(driven.order(order));
        driven.report().expect("a report");
    }
    let fed: Vec<Event> = driven.feed.try_iter().collect();
    assert_eq!(format!("{fed:?}"), format!("{stepped:?}"));
}

//! The node's half of every queue decision: each [`Effect`] carried out
//! (a mailbox written, a job held while an entry waits, the runner woken)
//! and recorded in the trace, in the order the queue gave them.

use super::Mta;
use super::core::{Arrival, Effect};
use crate::smtp::ForwardPath;
use crate::trace::{
    Attempt, BouncedRest, ConnId, DeferredRest, EventKind, NotifiedRest, QueuedRest, SimTime,
};

impl Mta {
    /// Takes a message on (the one intake, for mail from a session and
    /// for bounces alike) and carries out what the queue decides.
    pub fn intake(&self, arrival: Arrival, conn: Option<ConnId>) {
        let now = self.now();
        let effects = self.state.borrow_mut().queue.intake(arrival, now);
        self.carry_out(effects, conn);
    }

    /// Carries out the queue's decisions in order, recording each in the
    /// trace. `conn` is the session a new message came in on, if any.
    pub fn carry_out(&self, effects: Vec<Effect>, conn: Option<ConnId>) {
        let (net, host) = (&self.net, self.net.host());
        for effect in effects {
            match effect {
                Effect::Queued {
                    queue_id,
                    message_id,
                    from,
                    rcpts,
                } => net.record(EventKind::Queued {
                    host,
                    queue_id,
                    rest: Box::new(QueuedRest {
                        message_id,
                        // Sized at once, not grown from nothing: two a message.
                        from: from.to_text(),
                        rcpts: rcpts.iter().map(ForwardPath::to_text).collect(),
                        conn,
                    }),
                }),
                Effect::Store {
                    queue_id,
                    mailbox,
                    message_id,
                    content,
                } => self
                    .state
                    .borrow_mut()
                    .store(net, &mailbox, &queue_id, &message_id, content),
                Effect::Enqueued { queue_id } => {
                    let job = self.activity.begin();
                    self.state.borrow_mut().jobs.insert(queue_id, job);
                    self.wake.notify_one();
                }
                Effect::Expired { queue_id, rcpts } => net.record(EventKind::Expired {
                    host,
                    queue_id,
                    rcpts: Box::new(rcpts.iter().map(ToString::to_string).collect()),
                }),
                Effect::Deferred {
                    queue_id,
                    attempts,
                    retry_at,
                    attempt,
                } => {
                    net.record(EventKind::Deferred {
                        host,
                        queue_id,
                        rest: Box::new(DeferredRest {
                            attempts: attempts
                                .into_iter()
                                .map(|(rcpt, reason)| Attempt {
                                    rcpt: rcpt.to_string(),
                                    reason,
                                })
                                .collect(),
                            retry_at: SimTime::from(retry_at),
                            attempt,
                        }),
                    });
                    self.wake.notify_one();
                }
                Effect::Bounced {
                    queue_id,
                    failures,
                    dsn_queue_id,
                } => net.record(EventKind::Bounced {
                    host,
                    queue_id,
                    rest: Box::new(BouncedRest {
                        failures: failures
                            .iter()
                            .map(|f| Attempt {
                                rcpt: f.final_recipient.clone(),
                                reason: format!(
                                    "{} {}",
                                    f.status,
                                    f.diagnostic.clone().unwrap_or_default()
                                ),
                            })
                            .collect(),
                        dsn_queue_id,
                    }),
                }),
                Effect::Notified {
                    queue_id,
                    action,
                    rcpts,
                    dsn_queue_id,
                    why,
                } => net.record(EventKind::Notified {
                    host,
                    queue_id,
                    rest: Box::new(NotifiedRest {
                        action: action.to_string(),
                        rcpts,
                        dsn_queue_id,
                        why,
                    }),
                }),
                Effect::Dequeued { queue_id } => {
                    self.state.borrow_mut().jobs.remove(&queue_id);
                    net.record(EventKind::Dequeued { host, queue_id });
                }
            }
        }
    }
}

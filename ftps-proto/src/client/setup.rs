//! Connection setup: greeting, `AUTH TLS`, the TLS handshake, `HOST`, `FEAT`,
//! `OPTS UTF8 ON` and (when before login) `PBSZ`/`PROT`.

use std::borrow::Cow;
use std::time::Instant;

use super::config::{ClientSecurity, TlsPolicy};
use super::core::Step;
use super::errors::{ClientError, TimerKind, Violation};
use super::output::OpOutput;
use super::state::{InFlight, Job, Sent};
use super::ClientSession;
use crate::codec::reply_body::{parse_feat, Features};
use crate::codec::{Command, ProtectionLevel, Reply, ReplyCode};
use crate::session::CloseReason;

/// Progress of the setup sequence.
#[derive(Debug, Default)]
pub(crate) struct SetupJob {
    /// `AUTH` was dealt with (accepted and TLS up, or refused and tolerated).
    auth_done: bool,
    /// `AUTH SSL` was tried after `AUTH TLS` was refused.
    ssl_tried: bool,
    host_done: bool,
    feat_done: bool,
    utf8_done: bool,
}

impl ClientSession {
    /// Called by `new`: the first output (implicit `StartTls`) or the wait for the greeting.
    pub(crate) fn start_setup(&mut self, _now: Instant) {
        self.job = Some(Job::Setup(SetupJob::default()));
        if self.config.security == ClientSecurity::Implicit {
            self.start_tls(false);
        } else {
            self.await_greeting();
        }
    }

    fn await_greeting(&mut self) {
        self.inflight = Some(InFlight {
            sent: Sent::Greeting,
            preliminary: false,
        });
        self.arm(TimerKind::Greeting);
    }

    /// The control handshake finished.
    pub(crate) fn setup_tls_up(&mut self, job: &mut SetupJob) -> Step {
        // Nothing said in plaintext is trusted after the upgrade (ATK-TLSINJ-C), and AUTH
        // resets the transfer parameters (T4217-RESET).
        self.facts.features = None;
        self.facts.type_ascii = None;
        self.facts.pbsz_done = false;
        self.facts.prot_confirmed = false;
        self.facts.prot_refusal = None;
        if self.config.security == ClientSecurity::Implicit {
            // IMP-STATE: PBSZ 0 + PROT P are in force from the start.
            self.facts.data_prot = Some(ProtectionLevel::Private);
            self.await_greeting();
            return Step::Continue;
        }
        self.facts.data_prot = Some(ProtectionLevel::Clear);
        job.auth_done = true;
        self.setup_advance(job)
    }

    /// Runs the setup again on a connection that is past its greeting (after `REIN`
    /// cleared the control TLS).
    pub(crate) fn setup_restart(&mut self, job: &mut SetupJob) -> Step {
        self.facts.features = None;
        self.setup_advance(job)
    }

    /// Sends the next setup command, or finishes the setup.
    fn setup_advance(&mut self, job: &mut SetupJob) -> Step {
        if !job.auth_done {
            if let ClientSecurity::Explicit { .. } = self.config.security {
                let mech: &[u8] = if job.ssl_tried { b"SSL" } else { b"TLS" };
                let sent = Sent::Auth { ssl: job.ssl_tried };
                return self.send_step(&Command::Auth(Cow::Borrowed(mech)), sent);
            }
            job.auth_done = true;
        }
        if !job.host_done {
            job.host_done = true;
            if let Some(host) = self.config.host.take() {
                let step = self.send_step(&Command::Host(Cow::Borrowed(&host[..])), Sent::Host);
                self.config.host = Some(host);
                return step;
            }
        }
        if !job.feat_done {
            job.feat_done = true;
            return self.send_step(&Command::Feat, Sent::Feat);
        }
        if !job.utf8_done {
            job.utf8_done = true;
            let offered = self
                .facts
                .features
                .as_ref()
                .is_some_and(|f| f.contains("UTF8"));
            if self.config.send_utf8 && offered {
                return self.send_step(&Command::Opts(Cow::Borrowed(b"UTF8 ON")), Sent::OptsUtf8);
            }
        }
        if self.config.prot_before_login {
            if let Some(step) = self.send_next_prot() {
                return step;
            }
            if let Some(reply) = self.facts.prot_refusal.clone() {
                // Required TLS and the data channel cannot be protected: do not go on
                // (ATK-DOWNGRADE). Implicit FTPS keeps its implied PROT P (IMP-STATE).
                let explicit_required = matches!(
                    self.config.security,
                    ClientSecurity::Explicit {
                        policy: TlsPolicy::Required,
                        ..
                    }
                );
                if explicit_required && self.config.protection == ProtectionLevel::Private {
                    return self.quit_and_fail(ClientError::TlsRequired { reply: Some(reply) });
                }
            }
        }
        Step::Done(Ok(OpOutput::None))
    }

    /// A final reply during setup.
    pub(crate) fn setup_reply(
        &mut self,
        job: &mut SetupJob,
        sent: Sent,
        reply: Reply<'static>,
    ) -> Step {
        let code = reply.code();
        let ok = code.is_completion();
        match sent {
            Sent::Greeting => {
                if code != ReplyCode::C220 {
                    // A 4yz/5yz greeting: the server refuses service.
                    return Step::Fatal(ClientError::Rejected { reply }, CloseReason::PeerClosed);
                }
                self.setup_advance(job)
            }
            Sent::Auth { ssl } => {
                if code == ReplyCode::C234 {
                    if self.input_pending() {
                        // Bytes behind the 234 line, before the handshake: injection.
                        return Step::Violation(Violation::TlsInjection);
                    }
                    self.start_tls(false);
                    return Step::Continue;
                }
                let ClientSecurity::Explicit {
                    policy,
                    auth_ssl_fallback,
                } = self.config.security
                else {
                    return Step::Violation(Violation::UnsolicitedReply);
                };
                if auth_ssl_fallback && !ssl {
                    job.ssl_tried = true;
                    return self.setup_advance(job);
                }
                match policy {
                    TlsPolicy::Opportunistic => {
                        job.auth_done = true;
                        self.setup_advance(job)
                    }
                    // T4217-REFUSED / ATK-DOWNGRADE: QUIT, never plaintext.
                    _ => self.quit_and_fail(ClientError::TlsRequired { reply: Some(reply) }),
                }
            }
            Sent::Host => {
                // H7151-CLIENT: 500/502 mean "no HOST here"; any other error ends the session.
                if ok || code == ReplyCode::C500 || code == ReplyCode::C502 {
                    self.setup_advance(job)
                } else {
                    self.quit_and_fail(ClientError::Rejected { reply })
                }
            }
            Sent::Feat => {
                // F2389-PROBE: a refused FEAT means "nothing known", not "nothing there".
                self.facts.features = Some(if ok {
                    parse_feat(reply.text())
                } else {
                    Features::new()
                });
                self.setup_advance(job)
            }
            Sent::OptsUtf8 => self.setup_advance(job),
            Sent::Pbsz | Sent::Prot => {
                self.on_prot_reply(sent, reply);
                self.setup_advance(job)
            }
            _ => Step::Violation(Violation::UnsolicitedReply),
        }
    }
}

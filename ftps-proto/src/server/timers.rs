//! Timers (greeting delay, TLS handshake, failed-login delay, passive listen, data accept,
//! data stall, login, idle) and the control connection's TLS events.

use std::time::Instant;

use super::output::Item;
use super::state::{Conn, DataSetup, Security, Stage, Wait};
use super::ServerSession;
use crate::codec::ReplyCode;
use crate::session::{CloseReason, DataAction, TlsEvent};

impl ServerSession {
    /// The earliest pending deadline.
    pub(crate) fn next_deadline(&self) -> Option<Instant> {
        let c = &self.config;
        let mut next: Option<Instant> = None;
        let mut add = |t: Instant| next = Some(next.map_or(t, |n| n.min(t)));
        match self.conn {
            Conn::Closed => return None,
            Conn::Handshake { since, .. } | Conn::Stopping { since, .. } => {
                add(since + c.tls_handshake_timeout);
            }
            Conn::Delayed { until } => add(until),
            Conn::Open => {}
        }
        match &self.wait {
            Wait::LoginDelay { until, .. } => add(*until),
            Wait::Listen { since, .. } => add(*since + c.data_accept_timeout),
            Wait::Transfer => match self.transfer.as_ref().map(|t| t.stage) {
                Some(Stage::Connecting { since }) => add(since + c.data_accept_timeout),
                Some(Stage::Running { last }) => add(last + c.data_stall_timeout),
                None => {}
            },
            Wait::None => {
                if matches!(self.conn, Conn::Open) {
                    add(self.last_activity + c.idle_timeout);
                }
            }
            Wait::App { .. } => {}
        }
        if !self.is_logged_in() {
            add(self.login_since + c.login_timeout);
        }
        next
    }

    /// Fires every deadline that has passed.
    pub(crate) fn on_timeout(&mut self, now: Instant) {
        if self.is_closed() {
            return;
        }
        let c = &self.config;
        let (tls_limit, accept, stall, idle, login) = (
            c.tls_handshake_timeout,
            c.data_accept_timeout,
            c.data_stall_timeout,
            c.idle_timeout,
            c.login_timeout,
        );
        match self.conn {
            Conn::Handshake { since, .. } | Conn::Stopping { since, .. } => {
                if now >= since + tls_limit {
                    // Nothing can be sent mid-handshake (T4217-SRVFAIL): drop the connection.
                    self.drop_data();
                    self.conn = Conn::Closed;
                    self.out.push(Item::Close(CloseReason::Timeout));
                    return;
                }
            }
            Conn::Delayed { until } => {
                if now >= until {
                    self.config.delay_greeting = None;
                    self.greet(now);
                }
            }
            Conn::Open | Conn::Closed => {}
        }
        match self.wait {
            Wait::LoginDelay { until, last } if now >= until => {
                self.wait = Wait::None;
                self.answer_failed_login(last);
            }
            Wait::Listen { data, since, .. } if now >= since + accept => {
                self.wait = Wait::None;
                self.data = DataSetup::None;
                self.out.push(Item::Data(DataAction::Close { id: data }));
                self.reply(ReplyCode::C425, b"Cannot open passive connection.");
            }
            Wait::Transfer => match self.transfer.as_ref().map(|t| t.stage) {
                Some(Stage::Connecting { since }) if now >= since + accept => {
                    self.fail_transfer(ReplyCode::C425, b"Data connection not made in time.");
                }
                Some(Stage::Running { last }) if now >= last + stall => {
                    self.fail_transfer(
                        ReplyCode::C426,
                        b"Data connection stalled; transfer aborted.",
                    );
                }
                _ => {}
            },
            _ => {}
        }
        if self.is_closed() {
            return;
        }
        if !self.is_logged_in() && now >= self.login_since + login {
            self.close_with(
                ReplyCode::C421,
                b"Login timeout; closing.",
                CloseReason::Timeout,
            );
        } else if matches!(self.wait, Wait::None)
            && matches!(self.conn, Conn::Open)
            && now >= self.last_activity + idle
        {
            // H1123-IDLE.
            self.close_with(
                ReplyCode::C421,
                b"Idle timeout; closing control connection.",
                CloseReason::Timeout,
            );
        }
    }

    /// The control connection's TLS layer reports.
    pub(crate) fn on_tls(&mut self, now: Instant, event: TlsEvent) {
        match (&self.conn, event) {
            (Conn::Closed, _) => {}
            (Conn::Handshake { implicit, .. }, TlsEvent::Established) => {
                let implicit = *implicit;
                self.security = Security::Tls;
                self.last_activity = now;
                if implicit {
                    // IMP-GREET, IMP-STATE: the greeting comes after the handshake, and
                    // PBSZ 0 + PROT P are in force.
                    self.prot = self.initial_prot();
                    self.greet(now);
                } else {
                    self.conn = Conn::Open;
                }
            }
            (Conn::Stopping { ccc, .. }, TlsEvent::Stopped) => {
                self.security = if *ccc {
                    Security::Cleared
                } else {
                    Security::Plain
                };
                self.last_activity = now;
                self.conn = Conn::Open;
            }
            (_, TlsEvent::Failed) => {
                self.drop_data();
                self.conn = Conn::Closed;
                self.out.push(Item::Close(CloseReason::TlsFailed));
            }
            // Reports that answer nothing the session asked for are ignored.
            (Conn::Handshake { .. }, TlsEvent::Stopped)
            | (Conn::Stopping { .. } | Conn::Delayed { .. } | Conn::Open, TlsEvent::Established)
            | (Conn::Delayed { .. } | Conn::Open, TlsEvent::Stopped) => {}
        }
    }
}

//! The step loop of the two session harnesses: what a script step does the same way for the
//! client and the server (the clock, repeated input, end of stream, timers, the common checks
//! of a TLS report), with the role's own part behind [`Driven`].

use std::time::Instant;

use crate::client::{ClientOutput, ClientSession};
use crate::server::{ServerOutput, ServerSession};
use crate::session::TlsEvent;

use super::reader::Reader;
use super::script::{next_step, Step};
use super::MemoryGuard;

/// The sans-IO calls a step makes, the same on both sessions.
pub(crate) trait SessionIo {
    /// What [`SessionIo::poll_output`] returns.
    type Output<'a>: std::fmt::Debug
    where
        Self: 'a;
    fn poll_output(&mut self) -> Self::Output<'_>;
    /// What the shared checks see of an output.
    fn peek<'o>(output: &'o Self::Output<'_>) -> Polled<'o>;
    fn handle_eof(&mut self, now: Instant);
    fn handle_timeout(&mut self, now: Instant);
    fn handle_tls(&mut self, now: Instant, event: TlsEvent);
    fn poll_timeout(&self) -> Option<Instant>;
    fn is_closed(&self) -> bool;
}

/// An output as far as the shared checks go.
pub(crate) enum Polled<'a> {
    /// `Timeout`: the last output of a drain, with the session's deadline.
    Timeout(Option<Instant>),
    Transmit(&'a [u8]),
    Other,
}

macro_rules! session_io {
    ($($session:ident => $output:ident),*) => {$(
        impl SessionIo for $session {
            type Output<'a> = $output<'a>;
            fn poll_output(&mut self) -> $output<'_> {
                $session::poll_output(self)
            }
            fn peek<'o>(output: &'o $output<'_>) -> Polled<'o> {
                match output {
                    $output::Timeout(deadline) => Polled::Timeout(*deadline),
                    $output::Transmit(bytes) => Polled::Transmit(bytes),
                    _ => Polled::Other,
                }
            }
            fn handle_eof(&mut self, now: Instant) {
                $session::handle_eof(self, now);
            }
            fn handle_timeout(&mut self, now: Instant) {
                $session::handle_timeout(self, now);
            }
            fn handle_tls(&mut self, now: Instant, event: TlsEvent) {
                $session::handle_tls(self, now, event);
            }
            fn poll_timeout(&self) -> Option<Instant> {
                $session::poll_timeout(self)
            }
            fn is_closed(&self) -> bool {
                $session::is_closed(self)
            }
        }
    )*};
}

session_io!(ClientSession => ClientOutput, ServerSession => ServerOutput);

/// The next output of `session` before its `Timeout` (which ends a drain: `None`), traced
/// (`FTPS_HARNESS_TRACE`) and checked: a `closed` session outputs nothing more and has no
/// deadline.
pub(crate) fn next_output<S: SessionIo>(
    session: &mut S,
    closed: bool,
    trace: bool,
) -> Option<S::Output<'_>> {
    let output = session.poll_output();
    match S::peek(&output) {
        Polled::Timeout(deadline) => {
            if closed {
                assert_eq!(deadline, None, "a closed session has a deadline");
            }
            return None;
        }
        Polled::Transmit(b) if trace => eprintln!("  <- {:?}", String::from_utf8_lossy(b)),
        Polled::Other if trace => eprintln!("  <- {output:?}"),
        _ => {}
    }
    assert!(!closed, "output after Close: {output:?}");
    Some(output)
}

/// A session harness a script drives: the role's own half of each step.
pub(crate) trait Driven {
    /// The session under test.
    type Session: SessionIo;
    /// The peer's canned lines, picked by [`Step::Canned`].
    const CANNED: &'static [&'static [u8]];

    /// The session under test and the virtual clock.
    fn parts(&mut self) -> (&mut Self::Session, &mut Instant);
    /// Drains the session's outputs, checking each (the harness then knows whether the
    /// session is closed exactly when the session says so).
    fn drain_outputs(&mut self);
    /// Feeds the peer's bytes to the session and checks what the role checks of them.
    fn feed(&mut self, bytes: &[u8]);
    /// Notes a TLS report before the session gets it; whether it answers the session's
    /// `StartTls` / `StopTls`.
    fn tls_answers(&mut self, event: TlsEvent) -> bool;
    /// A data-connection event (`Step::Data`), outputs drained.
    fn data_step(&mut self, pick: u8, kind: u8, arg: u8);
    /// Application step `which` (`Step::App`), outputs drained.
    fn app_step(&mut self, which: u8, sel: u8, r: &mut Reader<'_>);
}

/// Runs the script left in `r` on `h`, at most 20,000 steps, checking memory after each.
pub(crate) fn run<D: Driven>(h: &mut D, r: &mut Reader<'_>, memory: &MemoryGuard, what: &str) {
    let trace = super::tracing();
    // The last input fed, for `Step::Repeat`.
    let mut last_input = Vec::new();
    let mut steps = 0;
    while let Some(step) = next_step(r) {
        if trace {
            match step {
                Step::Input(b) => eprintln!("-> {:?}", String::from_utf8_lossy(b)),
                other => eprintln!("-> {other:?}"),
            }
        }
        self::step(h, &mut last_input, step, r);
        memory.check(what);
        steps += 1;
        if steps > 20_000 {
            break;
        }
    }
}

fn step<D: Driven>(h: &mut D, last_input: &mut Vec<u8>, step: Step<'_>, r: &mut Reader<'_>) {
    match step {
        Step::Input(bytes) => input(h, last_input, bytes),
        Step::Canned(i) => input(h, last_input, D::CANNED[usize::from(i) % D::CANNED.len()]),
        Step::Repeat(n) => {
            let last = std::mem::take(last_input);
            // At most 128 KiB per step: enough to pass every limit, cheap to run.
            for _ in 0..n.min(128 * 1024 / last.len().max(1)) {
                input(h, last_input, &last);
            }
            *last_input = last;
        }
        Step::Eof => {
            let (session, now) = h.parts();
            session.handle_eof(*now);
            h.drain_outputs();
            assert!(h.parts().0.is_closed(), "no Close after EOF");
        }
        Step::Advance(by) => {
            *h.parts().1 += by;
            timeout(h);
        }
        Step::Deadline => {
            let (session, now) = h.parts();
            if let Some(t) = session.poll_timeout() {
                *now = (*now).max(t);
            }
            timeout(h);
        }
        Step::Tls(n) => {
            let event =
                [TlsEvent::Established, TlsEvent::Failed, TlsEvent::Stopped][usize::from(n)];
            let answers = h.tls_answers(event);
            let (session, now) = h.parts();
            session.handle_tls(*now, event);
            h.drain_outputs();
            if answers && event == TlsEvent::Failed {
                assert!(h.parts().0.is_closed(), "no Close after a failed handshake");
            }
        }
        Step::Data { pick, kind, arg } => h.data_step(pick, kind, arg),
        Step::App { which, sel } => h.app_step(which, sel, r),
    }
}

/// Feeds `bytes`, keeping them in `last_input` for a later repeat when they are short enough.
fn input<D: Driven>(h: &mut D, last_input: &mut Vec<u8>, bytes: &[u8]) {
    h.feed(bytes);
    if !bytes.is_empty() && bytes.len() <= 4096 {
        last_input.clear();
        last_input.extend_from_slice(bytes);
    }
}

/// `handle_timeout` at the current time; a deadline that has passed is handled, so the
/// adapter never spins.
fn timeout<D: Driven>(h: &mut D) {
    let (session, now) = h.parts();
    let now = *now;
    session.handle_timeout(now);
    h.drain_outputs();
    if let Some(t) = h.parts().0.poll_timeout() {
        assert!(t > now, "deadline {t:?} not after now {now:?}");
    }
}

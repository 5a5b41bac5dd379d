//! Single-command operations (RFC 959 §6 diagram 1), the `RNFR`/`RNTO` pair, `CCC`,
//! `REIN` and `QUIT`, with their typed results.

use std::borrow::Cow;

use super::config::{ClientConfig, ClientSecurity};
use super::core::Step;
use super::errors::{ClientError, LocalError, Violation};
use super::ops::Operation;
use super::output::OpOutput;
use super::state::Sent;
use super::ClientSession;
use crate::codec::reply_body::{parse_213_size, parse_213_time, parse_257, parse_feat};
use crate::codec::{Command, ProtectionLevel, Reply, ReplyCode, RepresentationType, Verb};
use crate::session::CloseReason;
use crate::timeval::TimeVal;

/// An operation's owned arguments.
#[derive(Debug)]
enum SingleOp {
    Cwd(Vec<u8>),
    Cdup,
    Pwd,
    Mkd(Vec<u8>),
    Rmd(Vec<u8>),
    Dele(Vec<u8>),
    Rename { from: Vec<u8>, to: Vec<u8> },
    Size(Vec<u8>),
    Mdtm(Vec<u8>),
    Mfmt { time: TimeVal, path: Vec<u8> },
    Mlst(Option<Vec<u8>>),
    Site(Vec<u8>),
    Stat(Option<Vec<u8>>),
    Syst,
    Help(Option<Vec<u8>>),
    Noop,
    Feat,
    Type(RepresentationType),
    Ccc,
    Rein,
    Quit,
    Raw(Command<'static>),
}

/// A single-command operation and how far it got.
#[derive(Debug)]
pub(crate) struct SingleJob {
    op: SingleOp,
    /// `RNTO` sent (rename), or `StopTls` emitted (`CCC`).
    second: bool,
    /// The `CCC` reply, kept until close_notify is exchanged.
    reply: Option<Reply<'static>>,
    /// `TYPE I` was sent ahead of `SIZE` (X3659-SIZE: the size of the stored bytes needs
    /// image type; servers such as pyftpdlib refuse `SIZE` in ASCII mode).
    type_first: bool,
}

fn borrowed(b: &[u8]) -> Cow<'_, [u8]> {
    Cow::Borrowed(b)
}

fn opt(b: &Option<Vec<u8>>) -> Option<Cow<'_, [u8]>> {
    b.as_deref().map(Cow::Borrowed)
}

impl SingleJob {
    pub(crate) fn new(op: Operation<'_>, config: &ClientConfig) -> Result<Self, LocalError> {
        let v = |b: &[u8]| b.to_vec();
        let op = match op {
            Operation::Cwd(p) => SingleOp::Cwd(v(p)),
            Operation::Cdup => SingleOp::Cdup,
            Operation::Pwd => SingleOp::Pwd,
            Operation::Mkd(p) => SingleOp::Mkd(v(p)),
            Operation::Rmd(p) => SingleOp::Rmd(v(p)),
            Operation::Dele(p) => SingleOp::Dele(v(p)),
            Operation::Rename { from, to } => SingleOp::Rename {
                from: v(from),
                to: v(to),
            },
            Operation::Size(p) => SingleOp::Size(v(p)),
            Operation::Mdtm(p) => SingleOp::Mdtm(v(p)),
            Operation::Mfmt { time, path } => SingleOp::Mfmt {
                time,
                path: v(path),
            },
            Operation::Mlst(p) => SingleOp::Mlst(p.map(v)),
            Operation::Site(p) => SingleOp::Site(v(p)),
            Operation::Stat(p) => SingleOp::Stat(p.map(v)),
            Operation::Syst => SingleOp::Syst,
            Operation::Help(p) => SingleOp::Help(p.map(v)),
            Operation::Noop => SingleOp::Noop,
            Operation::Feat => SingleOp::Feat,
            Operation::Type(t) => SingleOp::Type(t),
            Operation::Ccc => {
                // ATK-DOWNGRADE: never back to a clear control channel when TLS is required;
                // and a plain session has no TLS to clear.
                if config.security.tls_required()
                    || matches!(config.security, ClientSecurity::Plain)
                {
                    return Err(LocalError::ForbiddenByConfig);
                }
                SingleOp::Ccc
            }
            Operation::Rein => SingleOp::Rein,
            Operation::Quit => SingleOp::Quit,
            Operation::Raw(cmd) => {
                if session_driven(cmd.verb()) {
                    return Err(LocalError::UseOperation);
                }
                SingleOp::Raw(cmd.into_owned())
            }
        };
        Ok(SingleJob {
            op,
            second: false,
            reply: None,
            type_first: false,
        })
    }

    pub(crate) fn is_quit(&self) -> bool {
        matches!(self.op, SingleOp::Quit)
    }

    /// The (first) command, and how its reply is judged.
    fn first(&self) -> (Command<'_>, Sent) {
        let single = |c| (c, Sent::Single);
        match &self.op {
            SingleOp::Cwd(p) => single(Command::Cwd(borrowed(p))),
            SingleOp::Cdup => single(Command::Cdup),
            SingleOp::Pwd => single(Command::Pwd),
            SingleOp::Mkd(p) => single(Command::Mkd(borrowed(p))),
            SingleOp::Rmd(p) => single(Command::Rmd(borrowed(p))),
            SingleOp::Dele(p) => single(Command::Dele(borrowed(p))),
            SingleOp::Rename { from, .. } => (Command::Rnfr(borrowed(from)), Sent::Rnfr),
            SingleOp::Size(p) => single(Command::Size(borrowed(p))),
            SingleOp::Mdtm(p) => single(Command::Mdtm(borrowed(p))),
            SingleOp::Mfmt { time, path } => single(Command::Mfmt {
                time: *time,
                path: borrowed(path),
            }),
            SingleOp::Mlst(p) => single(Command::Mlst(opt(p))),
            SingleOp::Site(p) => single(Command::Site(borrowed(p))),
            SingleOp::Stat(p) => single(Command::Stat(opt(p))),
            SingleOp::Syst => single(Command::Syst),
            SingleOp::Help(p) => single(Command::Help(opt(p))),
            SingleOp::Noop => single(Command::Noop),
            SingleOp::Feat => single(Command::Feat),
            SingleOp::Type(t) => single(Command::Type(*t)),
            SingleOp::Ccc => (Command::Ccc, Sent::Ccc),
            SingleOp::Rein => (Command::Rein, Sent::Rein),
            SingleOp::Quit => (Command::Quit, Sent::Quit),
            SingleOp::Raw(cmd) => {
                let sent = if cmd.verb() == Verb::Unknown {
                    Sent::RawUnknown
                } else {
                    Sent::Single
                };
                (cmd.clone(), sent)
            }
        }
    }

    /// The second command of a rename.
    fn rnto(&self) -> Option<Command<'_>> {
        match &self.op {
            SingleOp::Rename { to, .. } => Some(Command::Rnto(borrowed(to))),
            _ => None,
        }
    }
}

/// Verbs whose state the session keeps itself; `Operation::Raw` refuses them.
fn session_driven(verb: Verb) -> bool {
    matches!(
        verb,
        Verb::User
            | Verb::Pass
            | Verb::Acct
            | Verb::Rein
            | Verb::Quit
            | Verb::Port
            | Verb::Pasv
            | Verb::Type
            | Verb::Retr
            | Verb::Stor
            | Verb::Stou
            | Verb::Appe
            | Verb::Rest
            | Verb::Rnfr
            | Verb::Rnto
            | Verb::Abor
            | Verb::List
            | Verb::Nlst
            | Verb::Mlsd
            | Verb::Auth
            | Verb::Adat
            | Verb::Pbsz
            | Verb::Prot
            | Verb::Ccc
            | Verb::Mic
            | Verb::Conf
            | Verb::Enc
            | Verb::Feat
            | Verb::Eprt
            | Verb::Epsv
            | Verb::Host
    )
}

/// The error for a refused non-transfer command (REP-DIGIT: keyed on the code).
pub(crate) fn refusal(reply: Reply<'static>) -> ClientError {
    match reply.code() {
        ReplyCode::C530 => ClientError::NotLoggedIn { reply },
        ReplyCode::C332 | ReplyCode::C532 => ClientError::AccountRequired { reply },
        _ => ClientError::Rejected { reply },
    }
}

impl ClientSession {
    /// ATK-CRLF: the operation's commands must encode before it is accepted.
    pub(crate) fn check_single(&mut self, job: &SingleJob) -> Result<(), LocalError> {
        let (cmd, _) = job.first();
        self.check(&cmd)?;
        if let Some(cmd) = job.rnto() {
            self.check(&cmd)?;
        }
        Ok(())
    }

    pub(crate) fn single_start(&mut self, job: &mut SingleJob) -> Step {
        if matches!(job.op, SingleOp::Size(_)) && self.facts.type_ascii != Some(false) {
            job.type_first = true;
            return self.send_step(&Command::Type(RepresentationType::Image), Sent::Type);
        }
        let (cmd, sent) = job.first();
        self.send_step(&cmd, sent)
    }

    /// The final reply to the operation's command.
    pub(crate) fn single_reply(
        &mut self,
        job: &mut SingleJob,
        sent: Sent,
        reply: Reply<'static>,
    ) -> Step {
        let code = reply.code();
        if sent == Sent::Type && job.type_first {
            // The TYPE I sent ahead of SIZE: remember it if accepted, then ask SIZE anyway.
            job.type_first = false;
            if code.is_completion() {
                self.facts.type_ascii = Some(false);
            }
            let (cmd, sent) = job.first();
            return self.send_step(&cmd, sent);
        }
        if sent == Sent::Quit {
            // C959-QUIT: whatever the answer, the session ends.
            return Step::DoneClose(Ok(OpOutput::Reply(reply)), CloseReason::Quit);
        }
        if sent == Sent::RawUnknown && code.is_intermediate() {
            return Step::Done(Ok(OpOutput::Reply(reply)));
        }
        if !code.is_completion() && !code.is_intermediate() {
            return Step::Done(Err(refusal(reply)));
        }
        match (&job.op, sent) {
            (SingleOp::Rename { .. }, Sent::Rnfr) => {
                // 350 (3yz is required; a 2yz was refused before routing).
                job.second = true;
                match job.rnto() {
                    Some(cmd) => self.send_step(&cmd, Sent::Rnto),
                    None => Step::Violation(Violation::UnsolicitedReply),
                }
            }
            (SingleOp::Pwd, _) | (SingleOp::Mkd(_), _) => {
                if code != ReplyCode::C257 {
                    // Some servers answer MKD with 250 and no path.
                    return Step::Done(Ok(OpOutput::Reply(reply)));
                }
                match parse_257(reply.text()) {
                    Ok(path) => Step::Done(Ok(OpOutput::Path(path.into_owned()))),
                    Err(_) => Step::Done(Err(ClientError::ProtocolViolation(
                        Violation::InvalidReplyBody,
                    ))),
                }
            }
            (SingleOp::Size(_), _) => Step::Done(
                parse_213_size(reply.text())
                    .map(OpOutput::Size)
                    .map_err(|_| ClientError::ProtocolViolation(Violation::InvalidReplyBody)),
            ),
            (SingleOp::Mdtm(_), _) => Step::Done(
                parse_213_time(reply.text())
                    .map(OpOutput::Time)
                    .map_err(|_| ClientError::ProtocolViolation(Violation::InvalidReplyBody)),
            ),
            (SingleOp::Feat, _) => {
                let features = parse_feat(reply.text());
                self.facts.features = Some(features.clone());
                Step::Done(Ok(OpOutput::Features(features)))
            }
            (SingleOp::Type(t), _) => {
                self.facts.type_ascii = match t {
                    RepresentationType::Ascii(_) => Some(true),
                    RepresentationType::Image | RepresentationType::Local(8) => Some(false),
                    _ => None,
                };
                Step::Done(Ok(OpOutput::Reply(reply)))
            }
            (SingleOp::Ccc, _) if !self.facts.control_tls => {
                // A server that accepts CCC on a clear control connection: nothing to stop.
                Step::Done(Ok(OpOutput::Reply(reply)))
            }
            (SingleOp::Ccc, _) => {
                // T4217-CCC: close_notify, the TCP stream stays, plaintext follows.
                job.reply = Some(reply);
                job.second = true;
                self.start_tls(true);
                Step::Continue
            }
            (SingleOp::Rein, _) => {
                self.reinitialized();
                if self.facts.control_tls && self.config.security != ClientSecurity::Implicit {
                    // T4217-REIN: after its 220 the server clears the control TLS
                    // (close_notify, plaintext after); follow it, then set the connection up
                    // again (AUTH TLS, FEAT, PBSZ/PROT) before the next operation.
                    job.reply = Some(reply);
                    job.second = true;
                    self.facts.data_prot = None;
                    self.facts.resetup = true;
                    self.start_tls(true);
                    return Step::Continue;
                }
                Step::Done(Ok(OpOutput::Reply(reply)))
            }
            _ => Step::Done(Ok(OpOutput::Reply(reply))),
        }
    }

    /// `CCC` finished: the control connection is plaintext again.
    pub(crate) fn single_tls_stopped(&mut self, job: &mut SingleJob) -> Step {
        if matches!(job.op, SingleOp::Rein) {
            // The setup runs again once REIN is done (see `drive`).
            self.ready = false;
        }
        match job.reply.take() {
            Some(reply) if job.second => Step::Done(Ok(OpOutput::Reply(reply))),
            _ => Step::Continue,
        }
    }

    /// C959-REIN: back to the just-connected state (an implicit control TLS stays; an
    /// explicit one is cleared after the reply, see `single_reply`).
    fn reinitialized(&mut self) {
        let f = &mut self.facts;
        f.logged_in = false;
        f.type_ascii = None;
        f.pbsz_done = false;
        f.prot_confirmed = false;
        f.prot_refusal = None;
        f.rest_dirty = false;
        f.epsv_all = false;
        f.epsv_all_sent = false;
        f.data_prot = if f.control_tls {
            if self.config.security == super::config::ClientSecurity::Implicit {
                Some(ProtectionLevel::Private)
            } else {
                Some(ProtectionLevel::Clear)
            }
        } else {
            None
        };
    }
}

//! Login: `USER`, `PASS`, `ACCT` (RFC 959 §6 login diagram, RFC 2228 `232`/`336`), then
//! `PBSZ`/`PROT` when they come after login.

use std::borrow::Cow;

use super::core::Step;
use super::errors::{ClientError, LocalError, Violation};
use super::output::OpOutput;
use super::state::Sent;
use super::ClientSession;
use crate::codec::{Command, Reply, ReplyCode};
use crate::Secret;

/// Where a login stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LoginStep {
    Start,
    User,
    Pass,
    Acct,
    /// Logged in; `PBSZ`/`PROT` may follow.
    In,
}

/// A login operation; owns copies of its credentials.
#[derive(Debug)]
pub(crate) struct LoginJob {
    user: Vec<u8>,
    pass: Secret<'static>,
    acct: Option<Secret<'static>>,
    step: LoginStep,
}

impl LoginJob {
    pub(crate) fn new(user: &[u8], pass: Secret<'_>, acct: Option<Secret<'_>>) -> Self {
        LoginJob {
            user: user.to_vec(),
            pass: pass.into_owned(),
            acct: acct.map(Secret::into_owned),
            step: LoginStep::Start,
        }
    }

    fn user_cmd(&self) -> Command<'_> {
        Command::User(Cow::Borrowed(&self.user))
    }

    fn pass_cmd(&self) -> Command<'_> {
        Command::Pass(Secret::new(self.pass.expose()))
    }

    fn acct_cmd(&self) -> Option<Command<'_>> {
        self.acct
            .as_ref()
            .map(|a| Command::Acct(Secret::new(a.expose())))
    }
}

impl ClientSession {
    /// ATK-CRLF: every credential must encode before the login is accepted.
    pub(crate) fn check_login(&mut self, job: &LoginJob) -> Result<(), LocalError> {
        self.check(&job.user_cmd())?;
        self.check(&job.pass_cmd())?;
        if let Some(acct) = job.acct_cmd() {
            self.check(&acct)?;
        }
        Ok(())
    }

    /// Starts the login, or continues it after `PBSZ`/`PROT`.
    pub(crate) fn login_advance(&mut self, job: &mut LoginJob) -> Step {
        match job.step {
            LoginStep::Start => {
                // C959-USER: a new USER restarts the login.
                self.facts.logged_in = false;
                job.step = LoginStep::User;
                self.send_step(&job.user_cmd(), Sent::User)
            }
            LoginStep::In => {
                if !self.config.prot_before_login {
                    if let Some(step) = self.send_next_prot() {
                        return step;
                    }
                    if self.facts.control_tls {
                        // T4217-TIMING: PROT after login; refused under required TLS fails.
                        if let Err(e) = self.data_protection_allowed() {
                            return Step::Done(Err(e));
                        }
                    }
                }
                Step::Done(Ok(OpOutput::None))
            }
            _ => Step::Continue,
        }
    }

    fn send_pass(&mut self, job: &mut LoginJob) -> Step {
        job.step = LoginStep::Pass;
        let cmd = job.pass_cmd();
        self.send_step(&cmd, Sent::Pass)
    }

    fn send_acct(&mut self, job: &mut LoginJob, reply: Reply<'static>) -> Step {
        if job.acct.is_none() {
            return Step::Done(Err(ClientError::AccountRequired { reply }));
        }
        job.step = LoginStep::Acct;
        match job.acct_cmd() {
            Some(cmd) => self.send_step(&cmd, Sent::Acct),
            None => Step::Done(Err(ClientError::AccountRequired { reply })),
        }
    }

    fn logged_in(&mut self, job: &mut LoginJob) -> Step {
        self.facts.logged_in = true;
        job.step = LoginStep::In;
        self.login_advance(job)
    }

    /// A final (2yz/3yz/4yz/5yz) reply during login.
    pub(crate) fn login_reply(
        &mut self,
        job: &mut LoginJob,
        sent: Sent,
        reply: Reply<'static>,
    ) -> Step {
        let code = reply.code();
        if matches!(sent, Sent::Pbsz | Sent::Prot) {
            self.on_prot_reply(sent, reply);
            return self.login_advance(job);
        }
        if code.is_completion() {
            // 230, 232 (USER enough), 202 (PASS/ACCT superfluous).
            return self.logged_in(job);
        }
        if code.is_intermediate() {
            return match (sent, code) {
                (Sent::User, ReplyCode::C332) | (Sent::Pass, ReplyCode::C332) => {
                    self.send_acct(job, reply)
                }
                (Sent::User, _) => self.send_pass(job),
                // Only 332 makes sense after PASS (ACCT 3yz is refused before routing).
                _ => Step::Violation(Violation::UnexpectedIntermediate),
            };
        }
        Step::Done(Err(ClientError::LoginRefused {
            reply,
            cleartext: !self.facts.control_tls,
        }))
    }
}

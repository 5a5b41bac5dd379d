//! Reading command lines and answering them: the command half of the state machine.

use std::net::{IpAddr, SocketAddr, SocketAddrV4};
use std::time::Instant;

use super::output::{Item, ServerEvent};
use super::request::{ListFormat, Request, RequestId, StatFormat, StoreMode};
use super::state::{Conn, DataSetup, Login, Pending, Prot, Security, TypeCode, Wait, XferKind};
use super::{ServerSession, ServerTls};
use crate::codec::reply_body::{write_257_text, write_522_families_of};
use crate::codec::{
    Command, CommandError, EpsvArg, FormatControl, ProtectionLevel, ReplyCode, RepresentationType,
    Structure, TransferMode, Verb,
};
use crate::listing::FactSet;
use crate::session::{CloseReason, DataAction, DataProtection};
use crate::vpath::{PathError, VirtualPath};

/// Verbs answered before login; every other known verb gets `530` until then.
fn allowed_before_login(verb: Verb) -> bool {
    matches!(
        verb,
        Verb::User
            | Verb::Pass
            | Verb::Acct
            | Verb::Auth
            | Verb::Adat
            | Verb::Pbsz
            | Verb::Prot
            | Verb::Ccc
            | Verb::Mic
            | Verb::Conf
            | Verb::Enc
            | Verb::Feat
            | Verb::Opts
            | Verb::Help
            | Verb::Noop
            | Verb::Quit
            | Verb::Syst
            | Verb::Host
            | Verb::Lang
            | Verb::Rein
            | Verb::Unknown
    )
}

/// The same IP, with IPv4-mapped IPv6 addresses taken as IPv4.
pub(crate) fn same_ip(a: IpAddr, b: IpAddr) -> bool {
    a.to_canonical() == b.to_canonical()
}

/// `anonymous` or `ftp`, any case.
fn is_anonymous(user: &[u8]) -> bool {
    user.eq_ignore_ascii_case(b"anonymous") || user.eq_ignore_ascii_case(b"ftp")
}

/// Splits `LIST -la path` into (`-a` given, path). An argument starting with `-` is options
/// up to the first space (so a name starting with `-` needs `./-name`).
fn list_options(arg: Option<&[u8]>) -> (bool, Option<&[u8]>) {
    match arg {
        Some(a) if a.first() == Some(&b'-') => {
            let (opts, rest) = match a.iter().position(|&b| b == b' ') {
                Some(i) => (&a[..i], a.get(i + 1..).unwrap_or_default()),
                None => (a, &[][..]),
            };
            let all = opts.contains(&b'a');
            (all, if rest.is_empty() { None } else { Some(rest) })
        }
        other => (false, other),
    }
}

impl ServerSession {
    /// Handles buffered command lines until one must wait (for the application, the adapter,
    /// a timer or the end of a transfer).
    pub(crate) fn process(&mut self, now: Instant) {
        loop {
            if !matches!(self.conn, Conn::Open) || self.out.is_closed() {
                return;
            }
            match self.wait {
                Wait::None => {
                    if self.has_held {
                        self.has_held = false;
                        std::mem::swap(&mut self.line, &mut self.held);
                    } else if !self.next_line() {
                        return;
                    }
                    self.handle_line(now);
                }
                Wait::Transfer => {
                    // SM959-CONCUR: ABOR and STAT are answered during a transfer; the first
                    // other line waits (with everything after it) until the transfer ends.
                    if self.has_held || !self.next_line() {
                        return;
                    }
                    let urgent = match Verb::parse(&self.line) {
                        Some(Verb::Abor) => true,
                        Some(Verb::Stat) => {
                            matches!(Command::parse(&self.line), Ok(Command::Stat(None)))
                        }
                        _ => false,
                    };
                    if urgent {
                        self.handle_line(now);
                    } else {
                        std::mem::swap(&mut self.line, &mut self.held);
                        self.has_held = true;
                        return;
                    }
                }
                Wait::App { .. } | Wait::Listen { .. } | Wait::LoginDelay { .. } => return,
            }
        }
    }

    /// Moves the next complete line into `self.line`; answers over-long lines with `500`
    /// (FRM-MAXCMD). `false` when no complete line is buffered.
    fn next_line(&mut self) -> bool {
        loop {
            match self.lines.next_line() {
                None => return false,
                Some(Ok(line)) => {
                    self.line.clear();
                    self.line.extend_from_slice(line);
                    return true;
                }
                Some(Err(_)) => self.reply(ReplyCode::C500, b"Command line too long."),
            }
        }
    }

    /// Handles the line in `self.line`.
    fn handle_line(&mut self, now: Instant) {
        let line = std::mem::take(&mut self.line);
        self.handle_command_line(now, &line);
        self.line = line;
    }

    fn handle_command_line(&mut self, now: Instant, line: &[u8]) {
        self.last_activity = now;
        let Some(verb) = Verb::parse(line) else {
            self.reply(ReplyCode::C500, b"Syntax error, command unrecognized.");
            return;
        };
        self.out
            .push(Item::Event(ServerEvent::CommandReceived { verb }));
        // SM959-SEQ: a command group is broken by any other command (NOOP excepted).
        if !matches!(verb, Verb::Rnto | Verb::Noop) {
            self.rename_from = None;
        }
        match (&self.login, verb) {
            (Login::User { .. }, Verb::Pass | Verb::Noop)
            | (Login::Account { .. }, Verb::Acct | Verb::Noop)
            | (Login::Idle | Login::In { .. }, _) => {}
            (Login::User { .. } | Login::Account { .. }, _) => self.login = Login::Idle,
        }
        if !self.is_logged_in() && !allowed_before_login(verb) {
            self.reply(ReplyCode::C530, b"Please login with USER and PASS.");
            return;
        }
        match Command::parse(line) {
            Ok(command) => self.dispatch(now, command),
            Err(error) => self.reply_parse_error(verb, error),
        }
    }

    fn reply_parse_error(&mut self, verb: Verb, error: CommandError) {
        match error {
            CommandError::Empty | CommandError::InvalidVerb => {
                self.reply(ReplyCode::C500, b"Syntax error, command unrecognized.");
            }
            CommandError::MissingArgument
            | CommandError::UnexpectedArgument
            | CommandError::InvalidArgument
            | CommandError::NumberOverflow => {
                self.reply(ReplyCode::C501, b"Syntax error in parameters or arguments.");
            }
            CommandError::UnsupportedParameter if verb == Verb::Eprt => {
                let families = self.families();
                self.reply_with(ReplyCode::C522, |t| write_522_families_of(&families, t));
            }
            CommandError::UnsupportedParameter => {
                self.reply(
                    ReplyCode::C504,
                    b"Command not implemented for that parameter.",
                );
            }
        }
    }

    /// The address families (RFC 2428 numbers) data connections can use here.
    fn families(&self) -> [u16; 1] {
        match self.local.ip().to_canonical() {
            IpAddr::V4(_) => [1],
            IpAddr::V6(_) => [2],
        }
    }

    /// Emits a request and waits for its answer.
    pub(crate) fn request(&mut self, request: Request, pending: Pending) {
        self.next_request += 1;
        let id = self.next_request;
        self.wait = Wait::App { id, pending };
        self.out.push(Item::Event(ServerEvent::Request {
            id: RequestId(id),
            request,
        }));
    }

    /// Resolves a path argument against the current directory; replies `550` on failure.
    fn resolve(&mut self, arg: &[u8]) -> Option<VirtualPath> {
        match self.cwd.resolve(arg) {
            Ok(path) => Some(path),
            Err(PathError::Nul) => {
                self.reply(ReplyCode::C501, b"NUL byte in path.");
                None
            }
            Err(_) => {
                self.reply(ReplyCode::C550, b"Invalid path.");
                None
            }
        }
    }

    /// Resolves an optional path argument (none: the current directory).
    fn resolve_or_cwd(&mut self, arg: Option<&[u8]>) -> Option<VirtualPath> {
        match arg {
            Some(a) => self.resolve(a),
            None => Some(self.cwd.clone()),
        }
    }

    /// The data protection a data connection made now must have.
    pub(crate) fn protection(&self) -> DataProtection {
        DataProtection {
            tls: self.prot.private,
            require_session_reuse: self.prot.private && self.config.require_data_session_reuse,
        }
    }

    /// The protection state a fresh (or reset) session starts with.
    pub(crate) fn initial_prot(&self) -> Prot {
        let implicit = matches!(self.config.tls, ServerTls::Implicit);
        Prot {
            pbsz: implicit,
            private: implicit,
        }
    }

    /// Resets user, transfer parameters, paths and data connections (REIN, AUTH: RFC 4217
    /// §4.2, RFC 959 §4.1.1).
    pub(crate) fn reset_session(&mut self, now: Instant) {
        self.drop_data();
        self.login = Login::Idle;
        self.type_code = TypeCode::Ascii;
        self.cwd = VirtualPath::root();
        self.rename_from = None;
        self.rest = 0;
        self.epsv_all = false;
        self.facts = FactSet::SERVER_DEFAULT;
        self.prot = self.initial_prot();
        self.login_since = now;
    }

    fn dispatch(&mut self, now: Instant, command: Command<'_>) {
        match command {
            // ---- access control ----
            Command::User(name) => self.on_user(now, &name),
            Command::Pass(password) => self.on_pass(now, password.into_owned()),
            Command::Acct(account) => self.on_acct(account.into_owned()),
            Command::Cwd(path) | Command::Xcwd(path) => {
                if let Some(path) = self.resolve(&path) {
                    let pending = Pending::ChangeDir { path: path.clone() };
                    self.request(Request::ChangeDir { path }, pending);
                }
            }
            Command::Cdup | Command::Xcup => {
                if let Some(path) = self.resolve(b"..") {
                    let pending = Pending::ChangeDir { path: path.clone() };
                    self.request(Request::ChangeDir { path }, pending);
                }
            }
            Command::Smnt(_) => self.reply(ReplyCode::C502, b"SMNT not implemented."),
            Command::Rein => self.on_rein(now),
            Command::Quit => {
                self.drop_data();
                self.reply(ReplyCode::C221, b"Goodbye.");
                self.conn = Conn::Closed;
                self.out.push(Item::Close(CloseReason::Quit));
            }
            // ---- transfer parameters ----
            Command::Port(addr) => self.on_active(SocketAddr::V4(addr), b"PORT"),
            Command::Eprt(ext) => self.on_active(ext.addr, b"EPRT"),
            Command::Pasv => self.on_passive(now, false),
            Command::Epsv(EpsvArg::Any) => self.on_passive(now, true),
            Command::Epsv(EpsvArg::All) => {
                self.epsv_all = true;
                self.reply(ReplyCode::C200, b"EPSV ALL ok.");
            }
            Command::Epsv(EpsvArg::Protocol(af)) => {
                let families = self.families();
                if families.contains(&af) {
                    self.on_passive(now, true);
                } else {
                    self.reply_with(ReplyCode::C522, |t| write_522_families_of(&families, t));
                }
            }
            Command::Type(t) => self.on_type(t),
            Command::Stru(Structure::File) => self.reply(ReplyCode::C200, b"Structure set to F."),
            Command::Stru(Structure::Record | Structure::Page) => {
                self.reply(ReplyCode::C504, b"Only STRU F is supported.");
            }
            Command::Mode(TransferMode::Stream) => self.reply(ReplyCode::C200, b"Mode set to S."),
            Command::Mode(
                TransferMode::Block | TransferMode::Compressed | TransferMode::Deflate,
            ) => {
                self.reply(ReplyCode::C504, b"Only MODE S is supported.");
            }
            // ---- service commands ----
            Command::Retr(path) => self.on_transfer(XferKind::Retrieve, Some(&path), false),
            Command::Stor(path) => {
                self.on_transfer(XferKind::Store(StoreMode::Replace), Some(&path), false);
            }
            Command::Appe(path) => {
                self.on_transfer(XferKind::Store(StoreMode::Append), Some(&path), false);
            }
            Command::Stou(path) => {
                self.on_transfer(XferKind::Store(StoreMode::Unique), path.as_deref(), false);
            }
            Command::List(arg) => {
                let (all, path) = list_options(arg.as_deref());
                self.on_transfer(XferKind::List(ListFormat::List), path, all);
            }
            Command::Nlst(arg) => {
                let (all, path) = list_options(arg.as_deref());
                self.on_transfer(XferKind::List(ListFormat::Nlst), path, all);
            }
            Command::Mlsd(path) => {
                if self.config.features.mlst {
                    self.on_transfer(XferKind::List(ListFormat::Mlsd), path.as_deref(), false);
                } else {
                    self.not_implemented();
                }
            }
            Command::Allo { .. } => self.reply(ReplyCode::C202, b"ALLO not needed."),
            Command::Rest(offset) => {
                if self.config.features.rest_stream {
                    self.rest = offset;
                    self.reply_with(ReplyCode::C350, |t| {
                        t.extend_from_slice(b"Restarting at ");
                        super::text::write_decimal(t, offset);
                        t.extend_from_slice(b". Send STOR or RETR.");
                    });
                } else {
                    self.not_implemented();
                }
            }
            Command::Rnfr(path) => {
                if let Some(path) = self.resolve(&path) {
                    let pending = Pending::RenameFrom { path: path.clone() };
                    self.request(Request::RenameFrom { path }, pending);
                }
            }
            Command::Rnto(path) => match self.rename_from.take() {
                None => self.reply(ReplyCode::C503, b"RNFR required first."),
                Some(from) => {
                    if let Some(to) = self.resolve(&path) {
                        self.request(Request::Rename { from, to }, Pending::Rename);
                    }
                }
            },
            Command::Abor => self.on_abor(),
            Command::Dele(path) => {
                if let Some(path) = self.resolve(&path) {
                    self.request(Request::Delete { path }, Pending::Delete);
                }
            }
            Command::Rmd(path) | Command::Xrmd(path) => {
                if let Some(path) = self.resolve(&path) {
                    self.request(Request::RemoveDir { path }, Pending::RemoveDir);
                }
            }
            Command::Mkd(path) | Command::Xmkd(path) => {
                if let Some(path) = self.resolve(&path) {
                    let pending = Pending::MakeDir { path: path.clone() };
                    self.request(Request::MakeDir { path }, pending);
                }
            }
            Command::Pwd | Command::Xpwd => {
                let cwd = self.cwd.clone();
                self.reply_with(ReplyCode::C257, |t| {
                    write_257_text(cwd.as_bytes(), b"is the current directory.", t);
                });
            }
            Command::Site(command) => {
                if self.config.features.site {
                    let command = command.into_owned();
                    self.request(Request::Site { command }, Pending::Site);
                } else {
                    self.reply(ReplyCode::C502, b"SITE not implemented.");
                }
            }
            Command::Syst => {
                let system = std::mem::take(&mut self.config.system);
                self.reply(ReplyCode::C215, &system);
                self.config.system = system;
            }
            Command::Stat(None) => self.on_stat_status(),
            Command::Stat(Some(path)) => {
                if let Some(path) = self.resolve(&path) {
                    let facts = self.facts;
                    let format = StatFormat::List;
                    let pending = Pending::Stat {
                        path: path.clone(),
                        format,
                    };
                    self.request(
                        Request::Stat {
                            path,
                            format,
                            facts,
                        },
                        pending,
                    );
                }
            }
            Command::Help(topic) => self.on_help(topic.as_deref()),
            Command::Noop => self.reply(ReplyCode::C200, b"NOOP ok."),
            // ---- security ----
            Command::Auth(mechanism) => self.on_auth(now, &mechanism),
            Command::Adat(_) => {
                self.reply(
                    ReplyCode::C503,
                    b"ADAT not expected: TLS needs no security data.",
                );
            }
            Command::Pbsz(_) => self.on_pbsz(),
            Command::Prot(level) => self.on_prot(level),
            Command::Ccc => self.on_ccc(now),
            Command::Mic(_) | Command::Conf(_) | Command::Enc(_) => {
                self.reply(
                    ReplyCode::C502,
                    b"Protected commands are not implemented; use TLS.",
                );
            }
            // ---- extensions ----
            Command::Feat => self.on_feat(),
            Command::Opts(arg) => self.on_opts(&arg),
            Command::Size(path) => {
                if !self.config.features.size {
                    self.not_implemented();
                } else if let Some(path) = self.resolve(&path) {
                    let ascii = self.type_code.is_ascii();
                    self.request(Request::Size { path, ascii }, Pending::Size);
                }
            }
            Command::Mdtm(path) => {
                if !self.config.features.mdtm {
                    self.not_implemented();
                } else if let Some(path) = self.resolve(&path) {
                    self.request(Request::ModifiedTime { path }, Pending::ModifiedTime);
                }
            }
            Command::Mfmt { time, path } => {
                if !self.config.features.mfmt {
                    self.not_implemented();
                } else if let Some(path) = self.resolve(&path) {
                    let pending = Pending::SetModifiedTime {
                        path: path.clone(),
                        time,
                    };
                    self.request(Request::SetModifiedTime { path, time }, pending);
                }
            }
            Command::Mlst(path) => {
                if !self.config.features.mlst {
                    self.not_implemented();
                } else if let Some(path) = self.resolve_or_cwd(path.as_deref()) {
                    let facts = self.facts;
                    let format = StatFormat::Mlst;
                    let pending = Pending::Stat {
                        path: path.clone(),
                        format,
                    };
                    self.request(
                        Request::Stat {
                            path,
                            format,
                            facts,
                        },
                        pending,
                    );
                }
            }
            Command::Lang(tag) => self.on_lang(tag.as_deref()),
            Command::Host(name) => self.on_host(&name),
            Command::Unknown { .. } => self.reply(ReplyCode::C500, b"Unknown command."),
        }
    }

    fn not_implemented(&mut self) {
        self.reply(ReplyCode::C502, b"Command not implemented.");
    }

    // ---- login ----

    fn tls_required_for_login(&self) -> bool {
        matches!(
            self.config.tls,
            ServerTls::Explicit {
                required_for_login: true
            }
        ) && self.security != Security::Tls
    }

    fn on_user(&mut self, now: Instant, name: &[u8]) {
        if self.is_logged_in() {
            // Leaving a logged-in state: the new login gets the whole login timeout. (Only
            // then: USER repeated before any login must not keep a session alive.)
            self.login_since = now;
        }
        if self.tls_required_for_login() {
            // T4217-POLICY: the login is refused before any password is sent in cleartext.
            self.login = Login::Idle;
            self.reply(ReplyCode::C530, b"TLS required: send AUTH TLS before USER.");
            return;
        }
        // C959-USER: a USER at any time restarts the login; transfer parameters stay.
        self.cwd = VirtualPath::root();
        self.login = Login::User {
            name: name.to_vec(),
        };
        // S2577-ENUM: the same answer for every name.
        self.reply(ReplyCode::C331, b"Password required.");
    }

    fn on_pass(&mut self, now: Instant, password: crate::Secret<'static>) {
        match std::mem::replace(&mut self.login, Login::Idle) {
            Login::User { name } => {
                if is_anonymous(&name) && !self.config.allow_anonymous {
                    self.fail_login(now, name);
                    return;
                }
                self.login = Login::User { name: name.clone() };
                let pending = Pending::Auth {
                    user: name.clone(),
                    password: Some(password.clone()),
                };
                self.request(
                    Request::Authenticate {
                        user: name,
                        password,
                        account: None,
                    },
                    pending,
                );
            }
            Login::In { name } => {
                self.login = Login::In { name };
                self.reply(ReplyCode::C503, b"Already logged in.");
            }
            Login::Idle | Login::Account { .. } => {
                self.reply(ReplyCode::C503, b"Login with USER first.");
            }
        }
    }

    fn on_acct(&mut self, account: crate::Secret<'static>) {
        match std::mem::replace(&mut self.login, Login::Idle) {
            Login::Account { name, password } => {
                self.login = Login::Account {
                    name: name.clone(),
                    password: password.clone(),
                };
                let pending = Pending::Auth {
                    user: name.clone(),
                    password: None,
                };
                self.request(
                    Request::Authenticate {
                        user: name,
                        password,
                        account: Some(account),
                    },
                    pending,
                );
            }
            Login::In { name } => {
                self.login = Login::In { name };
                self.reply(ReplyCode::C202, b"Account not needed.");
            }
            Login::Idle | Login::User { .. } => {
                self.reply(ReplyCode::C503, b"Login with USER and PASS first.");
            }
        }
    }

    /// A failed login: counted, reported, answered after the configured delay (S2577-BRUTE).
    pub(crate) fn fail_login(&mut self, now: Instant, user: Vec<u8>) {
        self.failed_logins = self.failed_logins.saturating_add(1);
        self.login = Login::Idle;
        self.out
            .push(Item::Event(ServerEvent::LoginFailed { user }));
        let last = self.failed_logins >= self.config.max_login_attempts;
        if self.config.failed_login_delay.is_zero() {
            self.answer_failed_login(last);
        } else {
            self.wait = Wait::LoginDelay {
                until: now + self.config.failed_login_delay,
                last,
            };
        }
    }

    /// The (delayed) answer to a failed login.
    pub(crate) fn answer_failed_login(&mut self, last: bool) {
        if last {
            self.close_with(
                ReplyCode::C421,
                b"Login incorrect. Too many failed attempts; closing.",
                CloseReason::TooManyFailedLogins,
            );
        } else {
            self.reply(ReplyCode::C530, b"Login incorrect.");
        }
    }

    /// A successful login.
    pub(crate) fn logged_in(&mut self, user: Vec<u8>) {
        self.out
            .push(Item::Event(ServerEvent::LoggedIn { user: user.clone() }));
        self.login = Login::In { name: user };
        let welcome = std::mem::take(&mut self.config.welcome);
        self.out.reply_lines(ReplyCode::C230, &welcome);
        self.config.welcome = welcome;
    }

    fn on_rein(&mut self, now: Instant) {
        self.reset_session(now);
        self.reply(ReplyCode::C220, b"Service ready for new user.");
        // T4217-REIN: the reply goes out under TLS, then TLS is cleared (explicit mode; an
        // implicit session stays TLS).
        match (self.security, self.config.tls) {
            (Security::Tls, ServerTls::Implicit) => {}
            (Security::Tls, _) => {
                self.out.push(Item::StopTls);
                self.conn = Conn::Stopping {
                    since: now,
                    ccc: false,
                };
            }
            (Security::Cleared | Security::Plain, _) => self.security = Security::Plain,
        }
    }

    // ---- security ----

    fn on_auth(&mut self, now: Instant, mechanism: &[u8]) {
        match self.config.tls {
            ServerTls::None => self.reply(ReplyCode::C502, b"AUTH not supported."),
            ServerTls::Implicit => self.reply(ReplyCode::C503, b"TLS is already active."),
            ServerTls::Explicit { .. } => {
                if self.security == Security::Tls {
                    self.reply(ReplyCode::C503, b"TLS is already active.");
                    return;
                }
                let known = [&b"TLS"[..], b"TLS-C", b"SSL"]
                    .iter()
                    .any(|m| mechanism.eq_ignore_ascii_case(m));
                if !known {
                    self.reply(ReplyCode::C504, b"Unknown AUTH mechanism; use AUTH TLS.");
                    return;
                }
                if !self.lines.is_empty() || self.has_held {
                    // ATK-TLSINJ-S: cleartext pipelined behind AUTH would be read as if it
                    // came through TLS. Never interpret it.
                    self.close_with(
                        ReplyCode::C421,
                        b"Cleartext commands after AUTH; closing.",
                        CloseReason::TlsInjection,
                    );
                    return;
                }
                // S2228-REAUTH, T4217-RESET.
                self.reset_session(now);
                self.reply(ReplyCode::C234, b"Proceed with TLS negotiation.");
                self.out.push(Item::StartTls);
                self.conn = Conn::Handshake {
                    since: now,
                    implicit: false,
                };
            }
        }
    }

    fn on_pbsz(&mut self) {
        if self.security != Security::Tls {
            self.reply(
                ReplyCode::C503,
                b"PBSZ requires TLS on the control connection.",
            );
            return;
        }
        // T4217-PBSZ0: any size is answered with the only one TLS uses.
        self.prot.pbsz = true;
        self.reply(ReplyCode::C200, b"PBSZ=0");
    }

    fn on_prot(&mut self, level: ProtectionLevel) {
        if self.security != Security::Tls {
            self.reply(
                ReplyCode::C503,
                b"PROT requires TLS on the control connection.",
            );
            return;
        }
        if !self.prot.pbsz {
            self.reply(ReplyCode::C503, b"PBSZ required first.");
            return;
        }
        match level {
            ProtectionLevel::Clear => {
                self.prot.private = false;
                self.reply(ReplyCode::C200, b"Protection level set to C.");
            }
            ProtectionLevel::Private => {
                self.prot.private = true;
                self.reply(ReplyCode::C200, b"Protection level set to P.");
            }
            ProtectionLevel::Safe | ProtectionLevel::Confidential => {
                self.reply(ReplyCode::C536, b"Only PROT C and PROT P are supported.");
            }
        }
    }

    fn on_ccc(&mut self, now: Instant) {
        if !self.config.features.ccc || matches!(self.config.tls, ServerTls::None) {
            self.not_implemented();
        } else if self.security != Security::Tls {
            self.reply(ReplyCode::C533, b"Control connection is not protected.");
        } else if !self.is_logged_in() {
            self.reply(ReplyCode::C534, b"CCC is refused before login.");
        } else {
            self.reply(ReplyCode::C200, b"Control connection cleared.");
            self.out.push(Item::StopTls);
            self.conn = Conn::Stopping {
                since: now,
                ccc: true,
            };
        }
    }

    // ---- transfer parameters ----

    fn on_type(&mut self, t: RepresentationType) {
        match t {
            RepresentationType::Ascii(FormatControl::Default | FormatControl::NonPrint) => {
                self.type_code = TypeCode::Ascii;
                self.reply(ReplyCode::C200, b"Type set to A.");
            }
            RepresentationType::Ascii(FormatControl::Telnet) => {
                self.type_code = TypeCode::AsciiTelnet;
                self.reply(ReplyCode::C200, b"Type set to A T.");
            }
            RepresentationType::Image => {
                self.type_code = TypeCode::Image;
                self.reply(ReplyCode::C200, b"Type set to I.");
            }
            RepresentationType::Local(8) => {
                self.type_code = TypeCode::Image;
                self.reply(ReplyCode::C200, b"Type set to L 8.");
            }
            RepresentationType::Ascii(FormatControl::Asa)
            | RepresentationType::Ebcdic(_)
            | RepresentationType::Local(_) => {
                self.reply(ReplyCode::C504, b"Type not supported.");
            }
        }
    }

    /// S2228-3P: an active data connection to an address other than the client's (allowed when
    /// `active.require_peer_ip` is off) would be a third-party transfer, which RFC 2228 §11 and
    /// RFC 4217 §7 cannot protect: under PROT P it is refused rather than reported protected.
    fn third_party_protected(&self, addr: SocketAddr) -> bool {
        self.prot.private && !same_ip(addr.ip(), self.peer.ip())
    }

    fn refuse_third_party(&mut self) {
        self.reply(
            ReplyCode::C534,
            b"Third-party transfers cannot be protected: PROT P data goes to the client only.",
        );
    }

    /// PORT/EPRT with the RFC 2577 checks (S2577-BOUNCE, S2577-LOWPORT).
    fn on_active(&mut self, addr: SocketAddr, verb: &[u8]) {
        if self.epsv_all {
            self.reply(ReplyCode::C503, b"EPSV ALL in force: only EPSV is allowed.");
        } else if !self.config.active.enabled {
            self.reply(
                ReplyCode::C500,
                b"Active mode is disabled; use PASV or EPSV.",
            );
        } else if self.config.active.require_peer_ip && !same_ip(addr.ip(), self.peer.ip()) {
            self.reply(
                ReplyCode::C504,
                b"Data connections only to the client's own address.",
            );
        } else if addr.port() < self.config.active.min_port {
            self.reply(ReplyCode::C504, b"Data connection port refused.");
        } else if self.third_party_protected(addr) {
            self.refuse_third_party();
        } else {
            self.drop_data();
            let id = self.new_data_id();
            self.data = DataSetup::Active { id, addr };
            self.reply_with(ReplyCode::C200, |t| {
                t.extend_from_slice(verb);
                t.extend_from_slice(b" command successful.");
            });
        }
    }

    /// PASV/EPSV: asks the adapter for a listener; the reply waits for `Listening`.
    fn on_passive(&mut self, now: Instant, extended: bool) {
        if !extended {
            if self.epsv_all {
                self.reply(ReplyCode::C503, b"EPSV ALL in force: only EPSV is allowed.");
                return;
            }
            if self.config.passive.masquerade.is_none()
                && !matches!(self.local.ip().to_canonical(), IpAddr::V4(_))
            {
                self.reply(ReplyCode::C501, b"PASV needs IPv4; use EPSV.");
                return;
            }
        }
        self.drop_data();
        let id = self.new_data_id();
        let protection = self.protection();
        self.out.push(Item::Data(DataAction::Listen {
            id,
            ip: self.local.ip().to_canonical(),
            ports: self.config.passive.ports.clone(),
            protection,
            accept_from: Some(self.peer.ip().to_canonical()),
        }));
        self.data = DataSetup::Passive {
            id,
            protection,
            conn: super::state::PassiveConn::Waiting,
        };
        self.wait = Wait::Listen {
            data: id,
            extended,
            since: now,
        };
    }

    /// The `227`/`229` answer once the listener is bound.
    pub(crate) fn announce_passive(&mut self, extended: bool, port: u16) {
        if extended {
            self.reply_with(ReplyCode::C229, |t| {
                crate::codec::reply_body::write_229_text(port, t);
            });
            return;
        }
        let ip = match (
            self.config.passive.masquerade,
            self.local.ip().to_canonical(),
        ) {
            (Some(ip), _) | (None, IpAddr::V4(ip)) => ip,
            // cannot happen: PASV on an IPv6-only address was refused before listening.
            (None, IpAddr::V6(_)) => std::net::Ipv4Addr::UNSPECIFIED,
        };
        self.reply_with(ReplyCode::C227, |t| {
            crate::codec::reply_body::write_227_text(SocketAddrV4::new(ip, port), t);
        });
    }

    // ---- transfers ----

    /// RETR/STOR/APPE/STOU/LIST/NLST/MLSD: checks, then the request to the application.
    fn on_transfer(&mut self, kind: XferKind, arg: Option<&[u8]>, all: bool) {
        // X3659-REST: the transfer command consumes the marker, whatever happens.
        let offset = std::mem::take(&mut self.rest);
        if self.config.require_prot_p && !self.prot.private {
            // S2228-XFER, T4217-DATATLS: refused before any 1yz.
            self.drop_data();
            self.reply(
                ReplyCode::C521,
                b"Data connections must be protected: send PROT P.",
            );
            return;
        }
        let id = match &self.data {
            DataSetup::None => {
                self.reply(ReplyCode::C425, b"Use PORT/EPRT or PASV/EPSV first.");
                return;
            }
            DataSetup::Passive {
                conn: super::state::PassiveConn::Failed(error),
                ..
            } => {
                let tls = *error == crate::session::DataError::TlsFailed;
                self.drop_data();
                if tls {
                    self.reply(
                        ReplyCode::C522,
                        b"TLS negotiation on the data connection failed.",
                    );
                } else {
                    self.reply(
                        ReplyCode::C425,
                        b"Data connection failed; send PASV or EPSV again.",
                    );
                }
                return;
            }
            DataSetup::Passive { protection, .. } if protection.tls != self.prot.private => {
                self.drop_data();
                self.reply(
                    ReplyCode::C521,
                    b"PROT changed after PASV/EPSV; send PASV or EPSV again.",
                );
                return;
            }
            DataSetup::Active { addr, .. } if self.third_party_protected(*addr) => {
                // PROT P came after a PORT/EPRT elsewhere (T4217-ANYTIME).
                self.drop_data();
                self.refuse_third_party();
                return;
            }
            DataSetup::Passive { id, .. } | DataSetup::Active { id, .. } => *id,
        };
        let path = match kind {
            XferKind::Store(StoreMode::Unique) | XferKind::List(_) => self.resolve_or_cwd(arg),
            XferKind::Retrieve | XferKind::Store(_) => match arg {
                Some(a) => self.resolve(a),
                None => {
                    self.reply(ReplyCode::C501, b"Syntax error in parameters or arguments.");
                    None
                }
            },
        };
        let Some(path) = path else {
            self.drop_data();
            return;
        };
        let ascii = self.type_code.is_ascii();
        let request = match kind {
            XferKind::Retrieve => Request::Retrieve {
                path,
                offset,
                data: id,
                ascii,
            },
            XferKind::Store(mode) => {
                let (mode, offset) = match mode {
                    // RFC 3659 §5.3: APPE after REST behaves like STOR at the offset.
                    StoreMode::Append if offset > 0 => (StoreMode::Replace, offset),
                    StoreMode::Unique => (StoreMode::Unique, 0),
                    other => (other, offset),
                };
                Request::Store {
                    path,
                    offset,
                    mode,
                    data: id,
                    ascii,
                }
            }
            XferKind::List(format) => Request::List {
                path,
                format,
                data: id,
                facts: self.facts,
                all,
            },
        };
        self.request(request, Pending::Transfer { data: id, kind });
    }

    fn on_abor(&mut self) {
        if let Some(transfer) = self.transfer.take() {
            // C959-ABOR: 426 for the aborted transfer, then 226 for the ABOR.
            self.wait = Wait::None;
            self.out
                .push(Item::Data(DataAction::Close { id: transfer.data }));
            self.reply(ReplyCode::C426, b"Transfer aborted.");
            self.out.push(Item::Event(ServerEvent::TransferFailed {
                data: transfer.data,
                code: ReplyCode::C426,
            }));
            self.reply(ReplyCode::C226, b"ABOR successful.");
        } else {
            self.drop_data();
            self.reply(ReplyCode::C226, b"No transfer to abort.");
        }
    }

    // ---- informational ----

    fn on_stat_status(&mut self) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        self.write_status(&mut text);
        self.out.reply_lines(ReplyCode::C211, &text);
        self.scratch = text;
    }

    fn on_help(&mut self, topic: Option<&[u8]>) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        match topic {
            None => self.write_help(&mut text),
            Some(topic) => {
                let known = Verb::parse(topic).is_some_and(|v| v != Verb::Unknown);
                if known {
                    text.extend_from_slice(b"Command ");
                    super::output::push_text(&mut text, topic);
                    text.extend_from_slice(b" is supported.");
                } else {
                    text.extend_from_slice(b"Unknown topic; HELP lists the commands.");
                }
            }
        }
        self.out.reply_lines(ReplyCode::C214, &text);
        self.scratch = text;
    }

    fn on_feat(&mut self) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        self.write_feat(&mut text);
        self.out.reply_lines(ReplyCode::C211, &text);
        self.scratch = text;
    }

    fn on_opts(&mut self, arg: &[u8]) {
        let (name, value) = match arg.iter().position(|&b| b == b' ') {
            Some(i) => (&arg[..i], arg.get(i + 1..).unwrap_or_default()),
            None => (arg, &[][..]),
        };
        if name.eq_ignore_ascii_case(b"UTF8") && self.config.features.utf8 {
            if value.eq_ignore_ascii_case(b"ON") || value.eq_ignore_ascii_case(b"OFF") {
                self.reply(
                    ReplyCode::C200,
                    b"UTF8 mode: paths are passed through as sent.",
                );
            } else {
                self.reply(ReplyCode::C501, b"OPTS UTF8 takes ON or OFF.");
            }
        } else if name.eq_ignore_ascii_case(b"MLST") && self.config.features.mlst {
            // X3659-OPTS: unknown facts are dropped silently.
            self.facts = FactSet::parse(value).intersection(FactSet::SERVER_DEFAULT);
            let facts = self.facts;
            self.reply_with(ReplyCode::C200, |t| {
                t.extend_from_slice(b"MLST OPTS ");
                facts.encode(t);
            });
        } else {
            self.reply(ReplyCode::C501, b"Option not understood.");
        }
    }

    fn on_lang(&mut self, tag: Option<&[u8]>) {
        if !self.config.features.lang {
            self.not_implemented();
            return;
        }
        let english = match tag {
            None => true,
            Some(t) => {
                t.eq_ignore_ascii_case(b"EN")
                    || (t.len() > 3 && t.get(..3).is_some_and(|p| p.eq_ignore_ascii_case(b"EN-")))
            }
        };
        if english {
            self.reply(ReplyCode::C200, b"Language set to EN.");
        } else {
            self.reply(ReplyCode::C504, b"Unsupported language.");
        }
    }

    fn on_host(&mut self, name: &[u8]) {
        if !self.config.features.host {
            self.not_implemented();
        } else if self.is_logged_in() {
            self.reply(ReplyCode::C503, b"HOST must come before login.");
        } else if self
            .tls_server_name
            .as_deref()
            .is_some_and(|sni| !sni.eq_ignore_ascii_case(name))
        {
            // H7151-SNI: after TLS, HOST names the server the handshake was for.
            self.reply(ReplyCode::C504, b"HOST does not match the TLS server name.");
        } else {
            // H7151-ORDER: the last HOST wins and restarts the login.
            self.login = Login::Idle;
            self.request(
                Request::Host {
                    name: name.to_vec(),
                },
                Pending::Host,
            );
        }
    }
}

//! The application's answers: every (pending request, response) pair in one match.

use std::time::Instant;

use super::data::storage_reply;
use super::output::{push_text, Item};
use super::request::{ListFormat, RequestId, Response, StatFormat, StoreMode};
use super::state::{DataSetup, Login, Pending, Wait, XferKind};
use super::ServerSession;
use crate::codec::reply_body::write_257_text;
use crate::codec::ReplyCode;
use crate::listing::{format_list_line, format_mlst_line, FactSet, FileInfo};
use crate::session::{DataAction, LocalError, StorageError};
use crate::vpath::VirtualPath;

impl ServerSession {
    /// Applies `response` to the request the session waits for.
    pub(crate) fn on_response(
        &mut self,
        now: Instant,
        id: RequestId,
        response: Response,
    ) -> Result<(), LocalError> {
        let waiting = matches!(self.wait, Wait::App { id: w, .. } if w == id.0);
        if !waiting {
            return Err(LocalError::UnknownRequest);
        }
        let Wait::App { pending, .. } = std::mem::replace(&mut self.wait, Wait::None) else {
            // cannot fire: `waiting` checked the variant just above.
            return Err(LocalError::UnknownRequest);
        };
        self.last_activity = now;
        match self.apply(now, pending, response) {
            Ok(()) => Ok(()),
            Err((pending, error)) => {
                // Caller misuse: the session is left as it was.
                self.wait = Wait::App { id: id.0, pending };
                Err(error)
            }
        }
    }

    fn apply(
        &mut self,
        now: Instant,
        pending: Pending,
        response: Response,
    ) -> Result<(), (Pending, LocalError)> {
        match (pending, response) {
            // ---- login ----
            (Pending::Auth { user, .. }, Response::LoggedIn) => self.logged_in(user),
            (
                Pending::Auth {
                    user,
                    password: Some(password),
                },
                Response::NeedAccount,
            ) => {
                self.login = Login::Account {
                    name: user,
                    password,
                };
                self.reply(ReplyCode::C332, b"Need account for login.");
            }
            (
                Pending::Auth { user, .. },
                Response::LoginFailed
                | Response::Denied
                | Response::Error(_)
                | Response::NeedAccount,
            ) => self.fail_login(now, user),
            // ---- file and directory commands ----
            (Pending::ChangeDir { path }, Response::Ok) => {
                self.cwd = path;
                self.reply(ReplyCode::C250, b"Directory successfully changed.");
            }
            (Pending::MakeDir { path }, Response::Ok)
            | (Pending::MakeDir { .. }, Response::Created(path)) => {
                self.reply_with(ReplyCode::C257, |t| {
                    write_257_text(path.as_bytes(), b"created.", t)
                });
            }
            (Pending::RemoveDir, Response::Ok) => {
                self.reply(ReplyCode::C250, b"Directory removed.");
            }
            (Pending::Delete, Response::Ok) => self.reply(ReplyCode::C250, b"File deleted."),
            (Pending::RenameFrom { path }, Response::Ok) => {
                self.rename_from = Some(path);
                self.reply(ReplyCode::C350, b"Ready for RNTO.");
            }
            (Pending::Rename, Response::Ok) => self.reply(ReplyCode::C250, b"Rename successful."),
            (Pending::Size, Response::Size(size)) => {
                self.reply_with(ReplyCode::C213, |t| super::text::write_decimal(t, size));
            }
            (Pending::ModifiedTime, Response::Time(time)) => {
                self.reply_with(ReplyCode::C213, |t| time.encode(t));
            }
            (Pending::SetModifiedTime { path, time }, Response::Ok)
            | (Pending::SetModifiedTime { path, .. }, Response::Time(time)) => {
                self.reply_with(ReplyCode::C213, |t| {
                    t.extend_from_slice(b"Modify=");
                    time.encode(t);
                    t.extend_from_slice(b"; ");
                    t.extend_from_slice(path.as_bytes());
                });
            }
            (
                Pending::Stat {
                    path,
                    format: StatFormat::Mlst,
                },
                Response::Info(info),
            ) => self.reply_mlst(&path, &info),
            (
                Pending::Stat {
                    path,
                    format: StatFormat::List,
                },
                Response::Listing { entries, now_unix },
            ) => self.reply_stat_listing(&path, &entries, now_unix),
            (Pending::Site, Response::Ok) => {
                self.reply(ReplyCode::C200, b"SITE command successful.");
            }
            (Pending::Site, Response::Site { code, text }) => {
                if !matches!(code.class(), 2 | 4 | 5) {
                    return Err((Pending::Site, LocalError::InvalidReplyCode));
                }
                self.out.reply_lines(code, &text);
            }
            (Pending::Host, Response::Ok) => {
                self.login = Login::Idle;
                self.reply(ReplyCode::C220, b"Host accepted.");
            }
            (Pending::Host, Response::Denied | Response::Error(_)) => {
                self.reply(ReplyCode::C504, b"Unknown host.");
            }
            // ---- transfers ----
            (Pending::Transfer { data, kind }, Response::Ok) if !Self::is_unique(kind) => {
                self.start_transfer(now, data, kind, None);
            }
            (
                Pending::Transfer {
                    data,
                    kind: kind @ XferKind::Store(StoreMode::Unique),
                },
                Response::StoreUnique { name },
            ) => self.start_transfer(now, data, kind, Some(&name)),
            (
                Pending::Transfer {
                    data,
                    kind: XferKind::Store(_),
                },
                Response::NeedAccount,
            ) => {
                self.close_setup(data);
                self.reply(ReplyCode::C532, b"Need account for storing files.");
            }
            (Pending::Transfer { data, kind }, Response::Error(error)) => {
                self.close_setup(data);
                if kind == XferKind::List(ListFormat::Mlsd) && error == StorageError::NotADirectory
                {
                    // X3659-MLSREQ: MLSD of a file.
                    self.reply(ReplyCode::C501, b"Not a directory.");
                } else {
                    let (code, text) = storage_reply(error);
                    self.reply(code, text);
                }
            }
            (Pending::Transfer { data, .. }, Response::Denied) => {
                self.close_setup(data);
                self.reply(ReplyCode::C550, b"Permission denied.");
            }
            // ---- refusals shared by the storage requests ----
            (
                Pending::ChangeDir { .. }
                | Pending::MakeDir { .. }
                | Pending::RemoveDir
                | Pending::Delete
                | Pending::RenameFrom { .. }
                | Pending::Rename
                | Pending::Size
                | Pending::ModifiedTime
                | Pending::SetModifiedTime { .. }
                | Pending::Stat { .. }
                | Pending::Site,
                Response::Error(error),
            ) => {
                let (code, text) = storage_reply(error);
                self.reply(code, text);
            }
            (
                Pending::ChangeDir { .. }
                | Pending::MakeDir { .. }
                | Pending::RemoveDir
                | Pending::Delete
                | Pending::RenameFrom { .. }
                | Pending::Rename
                | Pending::Size
                | Pending::ModifiedTime
                | Pending::SetModifiedTime { .. }
                | Pending::Stat { .. }
                | Pending::Site,
                Response::Denied,
            ) => self.reply(ReplyCode::C550, b"Permission denied."),
            (pending, _) => return Err((pending, LocalError::UnexpectedResponse)),
        }
        Ok(())
    }

    /// Closes the data connection prepared for a refused transfer (each transfer command
    /// consumes it).
    fn close_setup(&mut self, data: crate::session::DataId) {
        match &self.data {
            DataSetup::Passive { id, .. } | DataSetup::Active { id, .. } if *id == data => {
                self.data = DataSetup::None;
            }
            DataSetup::None | DataSetup::Passive { .. } | DataSetup::Active { .. } => {}
        }
        self.out.push(Item::Data(DataAction::Close { id: data }));
    }

    /// `250-` reply to MLST: one entry line (X3659-MLST).
    fn reply_mlst(&mut self, path: &VirtualPath, info: &FileInfo) {
        let facts: FactSet = self.facts;
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        text.extend_from_slice(b"Listing ");
        push_text(&mut text, path.as_bytes());
        text.push(b'\n');
        let mark = text.len();
        match format_mlst_line(info, facts, &mut text) {
            Ok(()) => {
                strip_crlf(&mut text);
                text.extend_from_slice(b"\nEnd.");
                self.out.reply_lines(ReplyCode::C250, &text);
            }
            Err(_) => {
                text.truncate(mark);
                self.reply(ReplyCode::C550, b"Entry cannot be listed.");
            }
        }
        self.scratch = text;
    }

    /// `213-` reply to `STAT path`: `ls -l` lines on the control connection (C959-STAT).
    fn reply_stat_listing(&mut self, path: &VirtualPath, entries: &[FileInfo], now_unix: i64) {
        let mut text = std::mem::take(&mut self.scratch);
        text.clear();
        text.extend_from_slice(b"Status of ");
        push_text(&mut text, path.as_bytes());
        text.push(b':');
        for info in entries {
            let mark = text.len();
            text.push(b'\n');
            if format_list_line(info, now_unix, &mut text).is_err() {
                // X3659-PATH: an entry that cannot be written safely is left out.
                text.truncate(mark);
            } else {
                strip_crlf(&mut text);
            }
        }
        text.extend_from_slice(b"\nEnd of status.");
        self.out.reply_lines(ReplyCode::C213, &text);
        self.scratch = text;
    }
}

/// Removes one trailing CRLF.
fn strip_crlf(text: &mut Vec<u8>) {
    if text.ends_with(b"\r\n") {
        text.truncate(text.len() - 2);
    }
}

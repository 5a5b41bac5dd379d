//! [`Users`]: a fixed user/password table, and [`AuthOutcome`], the verdict on a login. Both
//! adapters' `Authenticator` traits are implemented for [`Users`] with [`Users::check`].

use std::collections::HashMap;

use ftps_proto::Secret;

/// The answer to a login attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthOutcome {
    /// The credentials are good (`230`).
    LoggedIn,
    /// Refused (`530`, after the session's failed-login delay).
    Failed,
    /// An `ACCT` is needed as well (`332`).
    NeedAccount,
}

impl AuthOutcome {
    /// The core's response to an `Authenticate` request with this verdict.
    pub fn response(self) -> ftps_proto::server::Response {
        use ftps_proto::server::Response;
        match self {
            AuthOutcome::LoggedIn => Response::LoggedIn,
            AuthOutcome::NeedAccount => Response::NeedAccount,
            AuthOutcome::Failed => Response::LoginFailed,
        }
    }
}

/// A fixed table of users and passwords, optionally with anonymous logins (`anonymous` or
/// `ftp`, any password; the session's `allow_anonymous` must be on as well).
///
/// ```
/// use ftps_proto::Secret;
/// use ftps_proto_std::support::users::{AuthOutcome, Users};
/// let users = Users::new().with_user("demo", "pw");
/// assert_eq!(users.check(b"demo", &Secret::from("pw")), AuthOutcome::LoggedIn);
/// assert_eq!(users.check(b"demo", &Secret::from("no")), AuthOutcome::Failed);
/// ```
#[derive(Clone, Default)]
pub struct Users {
    users: HashMap<Vec<u8>, Secret<'static>>,
    anonymous: bool,
}

impl std::fmt::Debug for Users {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Users")
            .field("count", &self.users.len())
            .field("anonymous", &self.anonymous)
            .finish()
    }
}

impl Users {
    /// No users.
    pub fn new() -> Self {
        Users::default()
    }

    /// Adds (or replaces) a user.
    pub fn with_user(mut self, name: &str, password: &str) -> Self {
        self.users
            .insert(name.as_bytes().to_vec(), Secret::from(password.to_owned()));
        self
    }

    /// Accepts `anonymous` and `ftp` with any password.
    pub fn with_anonymous(mut self, allow: bool) -> Self {
        self.anonymous = allow;
        self
    }

    /// The verdict for these credentials: user names match exactly (anonymous names in any
    /// case), passwords are compared without an early exit.
    pub fn check(&self, user: &[u8], password: &Secret<'_>) -> AuthOutcome {
        if self.anonymous
            && (user.eq_ignore_ascii_case(b"anonymous") || user.eq_ignore_ascii_case(b"ftp"))
        {
            return AuthOutcome::LoggedIn;
        }
        match self.users.get(user) {
            Some(expected) if same_bytes(expected.expose(), password.expose()) => {
                AuthOutcome::LoggedIn
            }
            _ => AuthOutcome::Failed,
        }
    }
}

/// Compares without an early exit on the first differing byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::server::Response;

    #[test]
    fn anonymous_only_when_enabled() {
        let users = Users::new().with_user("demo", "pw");
        assert_eq!(
            users.check(b"anonymous", &Secret::from("x")),
            AuthOutcome::Failed
        );
        let users = users.with_anonymous(true);
        assert_eq!(
            users.check(b"FTP", &Secret::from("x")),
            AuthOutcome::LoggedIn
        );
        assert_eq!(
            users.check(b"demo", &Secret::from("p")),
            AuthOutcome::Failed
        );
        assert_eq!(
            users.check(b"Demo", &Secret::from("pw")),
            AuthOutcome::Failed
        );
        assert_eq!(
            users.check(b"demo", &Secret::from("pw\0")),
            AuthOutcome::Failed
        );
    }

    #[test]
    fn verdicts_map_to_responses() {
        assert_eq!(AuthOutcome::LoggedIn.response(), Response::LoggedIn);
        assert_eq!(AuthOutcome::Failed.response(), Response::LoginFailed);
        assert_eq!(AuthOutcome::NeedAccount.response(), Response::NeedAccount);
    }

    #[test]
    fn debug_never_shows_passwords() {
        let users = Users::new().with_user("demo", "hunter2");
        assert_eq!(format!("{users:?}"), "Users { count: 1, anonymous: false }");
    }
}

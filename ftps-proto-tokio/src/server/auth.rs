//! The [`Authenticator`] trait and a user/password table.

use std::collections::HashMap;
use std::future::Future;

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

/// Checks credentials. The password is a [`Secret`]: never log it.
///
/// ```
/// use ftps_proto::Secret;
/// use ftps_proto_tokio::server::{AuthOutcome, Authenticator};
///
/// struct OnlyBob;
/// impl Authenticator for OnlyBob {
///     async fn authenticate(&self, user: &[u8], password: &Secret<'_>, _: Option<&Secret<'_>>) -> AuthOutcome {
///         if user == b"bob" && password.expose() == b"builder" { AuthOutcome::LoggedIn } else { AuthOutcome::Failed }
///     }
/// }
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Checks `user` / `password` (and `account`, when the session asked for one).
    fn authenticate(
        &self,
        user: &[u8],
        password: &Secret<'_>,
        account: Option<&Secret<'_>>,
    ) -> impl Future<Output = AuthOutcome> + Send;

    /// Answers `HOST name` (RFC 7151; only asked when the session's `features.host` is on,
    /// otherwise the core answers `502` itself): `true` selects the virtual host (`220`),
    /// `false` refuses it (`504`, H7151-REPLY). The default knows no host and refuses all.
    fn select_host(&self, name: &[u8]) -> impl Future<Output = bool> + Send {
        let _ = name;
        async { false }
    }

    /// Checks credentials on the virtual host selected with `HOST` (`None` when none was;
    /// H7151-ORDER: the last accepted `HOST` before login counts, `REIN` forgets it). The
    /// default ignores the host and calls [`authenticate`](Authenticator::authenticate).
    fn authenticate_on_host(
        &self,
        host: Option<&[u8]>,
        user: &[u8],
        password: &Secret<'_>,
        account: Option<&Secret<'_>>,
    ) -> impl Future<Output = AuthOutcome> + Send {
        let _ = host;
        self.authenticate(user, password, account)
    }
}

/// A fixed table of users and passwords, optionally with anonymous logins (`anonymous` or
/// `ftp`, any password; the session's `allow_anonymous` must be on as well).
///
/// ```
/// use ftps_proto::Secret;
/// use ftps_proto_tokio::server::{AuthOutcome, Authenticator, Users};
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let users = Users::new().with_user("demo", "pw");
/// assert_eq!(users.authenticate(b"demo", &Secret::from("pw"), None).await, AuthOutcome::LoggedIn);
/// assert_eq!(users.authenticate(b"demo", &Secret::from("no"), None).await, AuthOutcome::Failed);
/// # });
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
}

/// Compares without an early exit on the first differing byte.
fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Authenticator for Users {
    async fn authenticate(
        &self,
        user: &[u8],
        password: &Secret<'_>,
        _account: Option<&Secret<'_>>,
    ) -> AuthOutcome {
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

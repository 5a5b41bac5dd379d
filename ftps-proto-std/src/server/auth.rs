//! The [`Authenticator`] trait, and its implementation for the shared user/password table
//! ([`Users`]).

use ftps_proto::Secret;

pub use crate::support::users::{AuthOutcome, Users};

/// Checks credentials (blocking, on the session's thread). The password is a [`Secret`]:
/// never log it.
///
/// ```
/// use ftps_proto::Secret;
/// use ftps_proto_std::server::{AuthOutcome, Authenticator};
///
/// struct OnlyBob;
/// impl Authenticator for OnlyBob {
///     fn authenticate(&self, user: &[u8], password: &Secret<'_>, _: Option<&Secret<'_>>) -> AuthOutcome {
///         if user == b"bob" && password.expose() == b"builder" { AuthOutcome::LoggedIn } else { AuthOutcome::Failed }
///     }
/// }
/// assert_eq!(OnlyBob.authenticate(b"bob", &Secret::from("builder"), None), AuthOutcome::LoggedIn);
/// ```
pub trait Authenticator: Send + Sync + 'static {
    /// Checks `user` / `password` (and `account`, when the session asked for one).
    fn authenticate(
        &self,
        user: &[u8],
        password: &Secret<'_>,
        account: Option<&Secret<'_>>,
    ) -> AuthOutcome;

    /// Answers `HOST name` (RFC 7151; only asked when the session's `features.host` is on,
    /// otherwise the core answers `502` itself): `true` selects the virtual host (`220`),
    /// `false` refuses it (`504`, H7151-REPLY). The default knows no host and refuses all.
    fn select_host(&self, name: &[u8]) -> bool {
        let _ = name;
        false
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
    ) -> AuthOutcome {
        let _ = host;
        self.authenticate(user, password, account)
    }
}

impl Authenticator for Users {
    fn authenticate(
        &self,
        user: &[u8],
        password: &Secret<'_>,
        _account: Option<&Secret<'_>>,
    ) -> AuthOutcome {
        self.check(user, password)
    }
}

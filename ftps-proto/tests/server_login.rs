//! Server session: greeting, login, anonymous, brute-force limits, timers of the login phase.
mod server_common;

use std::time::Duration;

use ftps_proto::server::{Request, Response, ServerConfig, ServerEvent};
use ftps_proto::session::CloseReason;
use server_common::{Driver, Out};

#[test]
fn greeting_single_and_multi_line() {
    let mut d = Driver::new(ServerConfig::default());
    assert_eq!(d.take(), "220 ftps-proto server ready.\r\n");
    let mut c = ServerConfig::default();
    c.greeting = b"Welcome\nto the 220 server\nready".to_vec();
    let mut d = Driver::new(c);
    // REP-PAD: an inner line starting with digits never reads as an end line.
    assert_eq!(
        d.take(),
        "220-Welcome\r\nto the 220 server\r\n220 ready\r\n"
    );
}

#[test]
fn greeting_delayed_120_then_220_commands_wait() {
    let mut c = ServerConfig::default();
    c.delay_greeting = Some(Duration::from_secs(90));
    let mut d = Driver::new(c);
    assert_eq!(d.take(), "120 Service ready in 2 minutes.\r\n");
    assert_eq!(d.cmd("NOOP\r\n"), "");
    d.advance(Duration::from_secs(89));
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(d.take(), "220 ftps-proto server ready.\r\n200 NOOP ok.\r\n");
}

#[test]
fn c959_user_pass_login_230() {
    let mut d = Driver::ready();
    assert_eq!(d.cmd("USER alice\r\n"), "331 Password required.\r\n");
    assert_eq!(d.cmd("PASS secret\r\n"), "");
    let (_, req) = d.request();
    match req {
        Request::Authenticate {
            user,
            password,
            account,
        } => {
            assert_eq!(user, b"alice");
            assert_eq!(password.expose(), b"secret");
            assert_eq!(account, None);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn c959_pass_logged_in_reply_and_event() {
    let mut d = Driver::ready();
    d.send(b"USER alice\r\nPASS secret\r\n");
    d.answer(Response::LoggedIn);
    assert_eq!(
        d.take(),
        "331 Password required.\r\n230 User logged in, proceed.\r\n"
    );
    assert!(d.log.contains(&Out::Event(ServerEvent::LoggedIn {
        user: b"alice".to_vec()
    })));
    assert!(d.session.is_logged_in());
    assert_eq!(d.session.user(), Some(&b"alice"[..]));
}

#[test]
fn c959_pass_without_user_503() {
    let mut d = Driver::ready();
    assert_eq!(d.cmd("PASS x\r\n"), "503 Login with USER first.\r\n");
    // SM959-SEQ: USER, another command, PASS -> the group restarts.
    d.send(b"USER a\r\nSYST\r\nPASS x\r\n");
    assert_eq!(
        d.take(),
        "331 Password required.\r\n215 UNIX Type: L8\r\n503 Login with USER first.\r\n"
    );
}

#[test]
fn c959_acct_332_then_230() {
    let mut d = Driver::ready();
    d.send(b"USER bob\r\nPASS pw\r\n");
    d.answer(Response::NeedAccount);
    assert_eq!(
        d.take(),
        "331 Password required.\r\n332 Need account for login.\r\n"
    );
    d.send(b"ACCT acme\r\n");
    let (id, req) = d.request();
    match req {
        Request::Authenticate {
            user,
            password,
            account,
        } => {
            assert_eq!(user, b"bob");
            assert_eq!(password.expose(), b"pw");
            assert_eq!(account.unwrap().expose(), b"acme");
        }
        other => panic!("{other:?}"),
    }
    d.session.respond(d.now, id, Response::LoggedIn).unwrap();
    d.drain();
    assert_eq!(d.take(), "230 User logged in, proceed.\r\n");
    assert_eq!(d.cmd("ACCT again\r\n"), "202 Account not needed.\r\n");
}

#[test]
fn c959_acct_without_332_503() {
    let mut d = Driver::ready();
    assert_eq!(
        d.cmd("ACCT x\r\n"),
        "503 Login with USER and PASS first.\r\n"
    );
}

#[test]
fn c959_user_restarts_login_keeps_type() {
    let mut d = Driver::logged_in();
    assert_eq!(d.cmd("TYPE I\r\n"), "200 Type set to I.\r\n");
    assert_eq!(d.cmd("USER b\r\n"), "331 Password required.\r\n");
    assert_eq!(
        d.cmd("RETR x\r\n"),
        "530 Please login with USER and PASS.\r\n"
    );
    assert!(!d.session.ascii(), "TYPE survives USER");
}

#[test]
fn commands_before_login_530() {
    let mut d = Driver::ready();
    for line in [
        "CWD /\r\n",
        "PWD\r\n",
        "PASV\r\n",
        "LIST\r\n",
        "STAT\r\n",
        "RETR x\r\n",
        "PORT 1,2,3,4,5,6\r\n",
    ] {
        assert_eq!(
            d.cmd(line),
            "530 Please login with USER and PASS.\r\n",
            "{line}"
        );
    }
    // C959-HELP, F2389-PRE: HELP, FEAT, SYST, NOOP work before login.
    assert!(d.cmd("HELP\r\n").starts_with("214-"));
    assert!(d.cmd("FEAT\r\n").starts_with("211-"));
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
}

#[test]
fn s2577_enum_unknown_user_331_then_530() {
    let mut c = ServerConfig::default();
    c.failed_login_delay = Duration::ZERO;
    let mut d = Driver::new(c);
    d.take();
    assert_eq!(d.cmd("USER nosuch\r\n"), "331 Password required.\r\n");
    d.send(b"PASS x\r\n");
    d.answer(Response::LoginFailed);
    assert_eq!(d.take(), "530 Login incorrect.\r\n");
    assert!(d.log.contains(&Out::Event(ServerEvent::LoginFailed {
        user: b"nosuch".to_vec()
    })));
}

#[test]
fn s2577_brute_delay_and_421_on_third_failure() {
    let mut d = Driver::ready();
    for attempt in 1..=3 {
        d.send(b"USER alice\r\nPASS wrong\r\n");
        assert_eq!(d.take(), "331 Password required.\r\n");
        d.answer(Response::LoginFailed);
        // The 530 is held back for the configured delay (1 s), through the core's timer.
        assert_eq!(d.take(), "");
        assert_eq!(
            d.cmd("NOOP\r\n"),
            "",
            "later commands wait behind the delayed reply"
        );
        d.advance(Duration::from_millis(999));
        assert_eq!(d.take(), "");
        d.advance(Duration::from_millis(1));
        if attempt < 3 {
            assert_eq!(d.take(), "530 Login incorrect.\r\n200 NOOP ok.\r\n");
        } else {
            assert_eq!(
                d.take(),
                "421 Login incorrect. Too many failed attempts; closing.\r\n"
            );
        }
    }
    assert_eq!(d.closed, Some(CloseReason::TooManyFailedLogins));
}

#[test]
fn anonymous_refused_by_default_without_asking_app() {
    let mut c = ServerConfig::default();
    c.failed_login_delay = Duration::ZERO;
    let mut d = Driver::new(c);
    d.take();
    d.send(b"USER anonymous\r\nPASS guest@\r\n");
    assert!(d.requests.is_empty());
    assert_eq!(
        d.take(),
        "331 Password required.\r\n530 Login incorrect.\r\n"
    );
}

#[test]
fn anonymous_allowed_goes_to_app() {
    let mut c = ServerConfig::default();
    c.allow_anonymous = true;
    let mut d = Driver::new(c);
    d.take();
    d.send(b"USER ftp\r\nPASS guest@\r\n");
    assert!(matches!(d.request().1, Request::Authenticate { .. }));
}

#[test]
fn login_timeout_421() {
    let mut d = Driver::ready();
    d.advance(Duration::from_secs(119));
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(d.take(), "421 Login timeout; closing.\r\n");
    assert_eq!(d.closed, Some(CloseReason::Timeout));
}

/// C959-USER with the login timer: a user logged in for longer than the login timeout who
/// sends USER again gets a whole new login timeout (found by the `server_session` fuzz
/// target: the old start left a deadline in the past, and the next tick closed the session).
/// USER repeated before any login does not extend the first one.
#[test]
fn relogin_gets_a_fresh_login_timeout() {
    let mut d = Driver::logged_in();
    for _ in 0..3 {
        d.advance(Duration::from_secs(100));
        assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
    }
    assert_eq!(d.cmd("USER b\r\n"), "331 Password required.\r\n");
    let deadline = d.session.poll_timeout().expect("login timer");
    assert!(deadline > d.now, "login deadline in the past");
    d.advance(Duration::from_secs(60));
    assert_eq!(d.cmd("USER c\r\n"), "331 Password required.\r\n");
    assert_eq!(d.session.poll_timeout(), Some(deadline));
    d.advance(Duration::from_secs(59));
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(d.take(), "421 Login timeout; closing.\r\n");
    assert_eq!(d.closed, Some(CloseReason::Timeout));
}

#[test]
fn h1123_idle_timeout_421_and_close() {
    let mut d = Driver::logged_in();
    d.advance(Duration::from_secs(299));
    assert_eq!(d.cmd("NOOP\r\n"), "200 NOOP ok.\r\n");
    d.advance(Duration::from_secs(299));
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(
        d.take(),
        "421 Idle timeout; closing control connection.\r\n"
    );
    assert_eq!(d.closed, Some(CloseReason::Timeout));
    assert_eq!(d.session.poll_timeout(), None);
}

#[test]
fn h1123_idle_timeout_ignores_trickled_bytes() {
    // One byte a second without a line end is no activity: the idle timer still fires.
    let mut d = Driver::logged_in();
    for _ in 0..299 {
        d.advance(Duration::from_secs(1));
        d.session.handle_input(d.now, b"N");
        d.drain();
    }
    assert_eq!(d.take(), "");
    d.advance(Duration::from_secs(1));
    assert_eq!(
        d.take(),
        "421 Idle timeout; closing control connection.\r\n"
    );
    assert_eq!(d.closed, Some(CloseReason::Timeout));
}

#[test]
fn c959_quit_221_close() {
    let mut d = Driver::ready();
    assert_eq!(d.cmd("QUIT\r\n"), "221 Goodbye.\r\n");
    assert_eq!(d.closed, Some(CloseReason::Quit));
    // Nothing after Close.
    assert_eq!(d.cmd("NOOP\r\n"), "");
}

#[test]
fn shutdown_421() {
    let mut d = Driver::logged_in();
    d.session.shutdown(d.now);
    d.drain();
    assert_eq!(
        d.take(),
        "421 Service not available, closing control connection.\r\n"
    );
    assert_eq!(d.closed, Some(CloseReason::Shutdown));
}

#[test]
fn eof_closes_peer_closed() {
    let mut d = Driver::logged_in();
    d.session.handle_eof(d.now);
    d.drain();
    assert_eq!(d.closed, Some(CloseReason::PeerClosed));
    assert_eq!(d.take(), "");
}

#[test]
fn respond_misuse_is_local_error_and_state_unchanged() {
    use ftps_proto::session::LocalError;
    let mut d = Driver::ready();
    d.send(b"USER a\r\nPASS b\r\n");
    let (id, _) = d.request();
    assert_eq!(
        d.session.respond(d.now, id, Response::Size(3)),
        Err(LocalError::UnexpectedResponse)
    );
    d.session.respond(d.now, id, Response::LoggedIn).unwrap();
    assert_eq!(
        d.session.respond(d.now, id, Response::LoggedIn),
        Err(LocalError::UnknownRequest)
    );
    d.drain();
    assert_eq!(
        d.take(),
        "331 Password required.\r\n230 User logged in, proceed.\r\n"
    );
}

//! Where a resumed transfer continues: the one rule both client examples (and any caller)
//! use, so a failure to learn the size is never mistaken for "start from 0".

use std::io;
use std::path::Path;

use super::client_error::Error;

/// The reply code that means "no such file" to `SIZE`.
const NOT_FOUND: u16 = 550;

/// The offset an upload resumed with `REST` + `STOR` continues from, given the answer to
/// `SIZE remote`: the remote size; 0 when the server answers `550` (no such file yet); any
/// other failure is returned, so the caller stops instead of overwriting the file from 0.
///
/// ```
/// use ftps_proto_std::support::resume::upload_offset;
/// use ftps_proto_std::support::client_error::Error;
/// assert_eq!(upload_offset(Ok(4096)).unwrap(), 4096);
/// assert!(upload_offset(Err(Error::WrongDirection)).is_err());
/// ```
pub fn upload_offset(remote_size: Result<u64, Error>) -> Result<u64, Error> {
    match remote_size {
        Ok(size) => Ok(size),
        Err(e) if e.reply_code() == Some(NOT_FOUND) => Ok(0),
        Err(e) => Err(e),
    }
}

/// The offset a download resumed with `REST` + `RETR` continues from: the length of the local
/// file; 0 when it does not exist; any other failure (permissions, a directory) is returned.
///
/// ```
/// use ftps_proto_std::support::resume::download_offset;
/// let missing = std::env::temp_dir().join("ftps-resume-doc-missing");
/// assert_eq!(download_offset(&missing).unwrap(), 0);
/// assert!(download_offset(&std::env::temp_dir()).is_err());
/// ```
pub fn download_offset(local: &Path) -> io::Result<u64> {
    match std::fs::metadata(local) {
        Ok(meta) if meta.is_file() => Ok(meta.len()),
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} is not a file", local.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ftps_proto::client::ClientError;
    use ftps_proto::codec::reply::Reply;
    use ftps_proto::ReplyCode;

    fn refused(code: u16, text: &'static str) -> Error {
        let code = ReplyCode::new(code).unwrap();
        Error::Ftp(ClientError::Rejected {
            reply: Reply::new(code, text.as_bytes()),
        })
    }

    #[test]
    fn upload_offset_is_zero_only_for_a_missing_file() {
        assert_eq!(upload_offset(Err(refused(550, "No such file"))).unwrap(), 0);
        let e = upload_offset(Err(refused(530, "Not logged in"))).unwrap_err();
        assert_eq!(e.reply_code(), Some(530));
        let e = upload_offset(Err(refused(500, "SIZE not understood"))).unwrap_err();
        assert_eq!(e.to_string(), "server refused: 500 SIZE not understood");
        assert!(upload_offset(Err(Error::Io(io::ErrorKind::TimedOut.into()))).is_err());
    }

    #[test]
    fn download_offset_is_the_local_length() {
        let path = std::env::temp_dir().join(format!("ftps-resume-{}", std::process::id()));
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(download_offset(&path).unwrap(), 5);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(download_offset(&path).unwrap(), 0);
    }
}

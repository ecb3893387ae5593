//! Positioned reads (`pread`) of a file shared between threads, on every
//! system: [`pack`](super::pack) reads its pack file this way, never through
//! a cursor, so rayon workers can read the same `File` at once.
//!
//! Unix has `FileExt::read_at`; Windows has `FileExt::seek_read`, which also
//! moves the handle's cursor — harmless here, since nothing reads these
//! files through the cursor.

use std::fs::File;
use std::io;

/// Read up to `buf.len()` bytes at `offset`; fewer only at the end of the file.
pub(crate) fn read_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match read_once(file, &mut buf[n..], offset + n as u64) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Read exactly `buf.len()` bytes at `offset`, or fail with `UnexpectedEof`.
pub(crate) fn read_exact_at(file: &File, buf: &mut [u8], offset: u64) -> io::Result<()> {
    if read_at(file, buf, offset)? < buf.len() {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "failed to fill whole buffer",
        ));
    }
    Ok(())
}

#[cfg(unix)]
fn read_once(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::unix::fs::FileExt::read_at(file, buf, offset)
}

#[cfg(windows)]
fn read_once(file: &File, buf: &mut [u8], offset: u64) -> io::Result<usize> {
    std::os::windows::fs::FileExt::seek_read(file, buf, offset)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn reads_at_offsets_and_stops_at_the_end() {
        let mut file = tempfile::tempfile().unwrap();
        file.write_all(b"0123456789").unwrap();
        let mut buf = [0u8; 4];
        read_exact_at(&file, &mut buf, 3).unwrap();
        assert_eq!(&buf, b"3456");
        // Reads do not depend on (or disturb) each other.
        read_exact_at(&file, &mut buf, 0).unwrap();
        assert_eq!(&buf, b"0123");
        assert_eq!(read_at(&file, &mut buf, 8).unwrap(), 2);
        assert_eq!(&buf[..2], b"89");
        assert_eq!(read_at(&file, &mut buf, 20).unwrap(), 0);
        let err = read_exact_at(&file, &mut buf, 8).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }
}

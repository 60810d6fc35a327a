//! Facts about the machine the lab runs on: the kernel release, the
//! filesystem of a directory and its mount options, O_DIRECT support, and
//! a temporary directory that removes itself.

use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

/// `uname -r`.
pub fn kernel_release() -> String {
    // SAFETY: uname fills the struct it is given.
    unsafe {
        let mut u: libc::utsname = std::mem::zeroed();
        if libc::uname(&mut u) != 0 {
            return "unknown".into();
        }
        CStr::from_ptr(u.release.as_ptr())
            .to_string_lossy()
            .into_owned()
    }
}

/// The filesystem a directory is on: its type and mount options (per-mount
/// and superblock), from /proc/self/mountinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FsInfo {
    pub fstype: String,
    pub options: String,
    pub mount_point: String,
}

/// Unescapes mountinfo's octal escapes (`\040` for a space).
fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 4 <= b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = b[i + 1..i + 4]
                .iter()
                .fold(0u32, |m, c| m * 8 + u32::from(c - b'0'));
            out.push(v as u8);
            i += 4;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses mountinfo text and finds the mount holding `path` (device
/// `major:minor`): the longest mount point that is a prefix of it, of that
/// device if one is (btrfs gives each subvolume an anonymous device that
/// mountinfo does not show).
pub fn parse_mountinfo(text: &str, path: &Path, dev: (u64, u64)) -> Option<FsInfo> {
    mount_of(text, path, Some(dev)).or_else(|| mount_of(text, path, None))
}

fn mount_of(text: &str, path: &Path, dev: Option<(u64, u64)>) -> Option<FsInfo> {
    let mut best: Option<(usize, FsInfo)> = None;
    for line in text.lines() {
        let Some((pre, post)) = line.split_once(" - ") else {
            continue;
        };
        let f: Vec<&str> = pre.split(' ').collect();
        let g: Vec<&str> = post.split(' ').collect();
        if f.len() < 6 || g.len() < 3 {
            continue;
        }
        let Some((maj, min)) = f[2].split_once(':') else {
            continue;
        };
        if dev.is_some_and(|d| {
            (maj.parse::<u64>().ok(), min.parse::<u64>().ok()) != (Some(d.0), Some(d.1))
        }) {
            continue;
        }
        let mp = unescape(f[4]);
        if !path.starts_with(&mp) {
            continue;
        }
        let mut opts: Vec<&str> = f[5].split(',').collect();
        for o in g[2].split(',') {
            if !opts.contains(&o) {
                opts.push(o);
            }
        }
        let info = FsInfo {
            fstype: g[0].to_string(),
            options: opts.join(","),
            mount_point: mp.clone(),
        };
        if best.as_ref().is_none_or(|(n, _)| mp.len() > *n) {
            best = Some((mp.len(), info));
        }
    }
    best.map(|(_, i)| i)
}

/// The filesystem `dir` is on.
pub fn fs_of(dir: &Path) -> Result<FsInfo, String> {
    let canon =
        std::fs::canonicalize(dir).map_err(|e| format!("cannot resolve {}: {e}", dir.display()))?;
    let md = std::fs::metadata(&canon).map_err(|e| format!("{}: {e}", canon.display()))?;
    let dev = md.dev();
    let (maj, min) = (libc::major(dev) as u64, libc::minor(dev) as u64);
    let text = std::fs::read_to_string("/proc/self/mountinfo")
        .map_err(|e| format!("cannot read /proc/self/mountinfo: {e}"))?;
    parse_mountinfo(&text, &canon, (maj, min)).ok_or_else(|| {
        format!(
            "cannot find the mount of {} (device {maj}:{min}) in /proc/self/mountinfo",
            canon.display()
        )
    })
}

/// The path as a C string.
pub fn cpath(p: &Path) -> Result<CString, String> {
    CString::new(p.as_os_str().as_bytes())
        .map_err(|_| format!("{}: a path with a NUL byte", p.display()))
}

/// Whether files in `dir` can be opened with O_DIRECT.
pub fn probe_odirect(dir: &Path) -> Result<(), String> {
    let probe = dir.join(format!(".dioscope-odirect-{}", std::process::id()));
    let c = cpath(&probe)?;
    // SAFETY: plain syscalls on a path we own.
    unsafe {
        let fd = libc::open(
            c.as_ptr(),
            libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_DIRECT | libc::O_CLOEXEC,
            0o600,
        );
        if fd < 0 {
            let e = std::io::Error::last_os_error();
            libc::unlink(c.as_ptr());
            return Err(format!(
                "cannot open a file in {} with O_DIRECT: {e}",
                dir.display()
            ));
        }
        libc::close(fd);
        libc::unlink(c.as_ptr());
    }
    Ok(())
}

/// A directory made for one lab session, removed when dropped.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(parent: &Path) -> Result<TempDir, String> {
        let tmpl = parent.join("dioscope-lab-XXXXXX");
        let mut c = cpath(&tmpl)?.into_bytes_with_nul();
        // SAFETY: mkdtemp rewrites the template in place.
        let p = unsafe { libc::mkdtemp(c.as_mut_ptr().cast()) };
        if p.is_null() {
            return Err(format!(
                "cannot make a directory in {}: {}",
                parent.display(),
                std::io::Error::last_os_error()
            ));
        }
        c.pop();
        Ok(TempDir {
            path: PathBuf::from(std::ffi::OsStr::from_bytes(&c)),
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mount_of_a_path() {
        let text = "22 1 253:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,errors=remount-ro\n\
                    40 22 7:0 / /tmp/x\\040y rw,noatime shared:2 - xfs /dev/loop0 rw,attr2,inode64\n\
                    41 22 0:30 / /proc rw - proc proc rw\n";
        let i = parse_mountinfo(text, Path::new("/tmp/x y/dir"), (7, 0)).unwrap();
        assert_eq!(i.fstype, "xfs");
        assert_eq!(i.mount_point, "/tmp/x y");
        assert_eq!(i.options, "rw,noatime,attr2,inode64");
        let i = parse_mountinfo(text, Path::new("/tmp/a"), (253, 0)).unwrap();
        assert_eq!(i.fstype, "ext4");
        // no mount of that device: the longest prefix (btrfs subvolumes)
        let i = parse_mountinfo(text, Path::new("/tmp/x y/z"), (0, 99)).unwrap();
        assert_eq!(i.fstype, "xfs");
        assert!(parse_mountinfo(text, Path::new("relative"), (9, 9)).is_none());
        assert!(parse_mountinfo("garbage", Path::new("/"), (0, 0)).is_none());
    }

    #[test]
    fn this_machine() {
        assert!(parse_release_ok(&kernel_release()));
        let i = fs_of(Path::new("/tmp")).unwrap();
        assert!(!i.fstype.is_empty());
    }

    fn parse_release_ok(r: &str) -> bool {
        super::super::plan::parse_release(r).is_some()
    }
}

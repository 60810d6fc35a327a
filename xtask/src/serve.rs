//! `cargo xtask serve`: a small static file server for `dist/` (std::net,
//! one thread per connection, GET and HEAD only, loopback only).

use std::fs;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use crate::{dist, say, Result};

pub fn serve_command(port: u16) -> Result<()> {
    // Take the port first: a busy port is reported before a long build.
    let listener = bind(port)?;
    dist::build()?;
    match dist::Sizes::measure(&dist::dist_dir()) {
        Ok(s) => println!("{}", s.report()),
        Err(e) => eprintln!("warning: {e}"),
    }
    let url = format!(
        "http://127.0.0.1:{}/",
        listener.local_addr().map_or(port, |a| a.port())
    );
    say(&format!("serving dist/ at {url}  (Ctrl-C to stop)"));
    println!("{url}");
    Server::new(listener, dist::dist_dir(), true).run();
    Ok(())
}

/// Binds 127.0.0.1:`port` (0: any free port), with a clear error.
pub fn bind(port: u16) -> Result<TcpListener> {
    TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).map_err(|e| match e.kind() {
        io::ErrorKind::AddrInUse => format!(
            "port {port} is already in use (another `cargo xtask serve`?); choose another with --port N"
        ),
        io::ErrorKind::PermissionDenied => {
            format!("not allowed to listen on port {port}; choose one above 1023 with --port N")
        }
        _ => format!("cannot listen on 127.0.0.1:{port}: {e}"),
    })
}

pub struct Server {
    listener: TcpListener,
    root: PathBuf,
    log: bool,
    stop: Arc<AtomicBool>,
}

/// Stops a server running in another thread when dropped.
pub struct Running {
    pub url: String,
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag.
        let _ = TcpStream::connect_timeout(&self.addr, Duration::from_secs(1));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Server {
    pub fn new(listener: TcpListener, root: PathBuf, log: bool) -> Server {
        Server {
            listener,
            root,
            log,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Serves in a background thread until the returned handle is dropped.
    pub fn spawn(self) -> Result<Running> {
        let addr = self
            .listener
            .local_addr()
            .map_err(|e| format!("cannot read the server's address: {e}"))?;
        let stop = self.stop.clone();
        let thread = thread::spawn(move || self.run());
        Ok(Running {
            url: format!("http://{addr}/"),
            addr,
            stop,
            thread: Some(thread),
        })
    }

    pub fn run(self) {
        for conn in self.listener.incoming() {
            if self.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = conn else { continue };
            let root = self.root.clone();
            let log = self.log;
            thread::spawn(move || {
                if let Err(e) = handle(stream, &root, log) {
                    if log {
                        eprintln!("serve: {e}");
                    }
                }
            });
        }
    }
}

/// The Content-Type for a file name.
pub fn mime_type(path: &Path) -> &'static str {
    match path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json" | "map") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("woff2") => "font/woff2",
        Some("txt" | "toml" | "md") => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// The file under `root` that a request target names, or `None` when the
/// target is malformed or tries to leave `root`. Directories map to their
/// `index.html`; the query and fragment are ignored.
pub fn resolve(root: &Path, target: &str) -> Option<PathBuf> {
    let path = target.split(['?', '#']).next().unwrap_or("");
    let path = path.strip_prefix('/')?;
    let decoded = percent_decode(path)?;
    let mut out = root.to_path_buf();
    for part in decoded.split('/') {
        match Path::new(part).components().next() {
            None => continue, // empty segment
            Some(Component::CurDir) => continue,
            Some(Component::Normal(_))
                if !part.contains(['\\', '\0']) && Path::new(part).components().count() == 1 =>
            {
                out.push(part)
            }
            _ => return None, // `..`, absolute, or odd
        }
    }
    if out.is_dir() {
        out.push("index.html");
    }
    Some(out)
}

fn percent_decode(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = b.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn handle(stream: TcpStream, root: &Path, log: bool) -> io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.by_ref().take(8192).read_line(&mut request_line)?;
    // Skip the headers (bounded).
    let mut header_bytes = 0;
    loop {
        let mut line = String::new();
        let n = reader.by_ref().take(8192).read_line(&mut line)?;
        header_bytes += n;
        if n == 0 || line == "\r\n" || line == "\n" || header_bytes > 64 * 1024 {
            break;
        }
    }
    let mut out = stream;
    let mut parts = request_line.split_whitespace();
    let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
        return respond(
            &mut out,
            400,
            "text/plain; charset=utf-8",
            b"bad request\n",
            true,
        );
    };
    let head = method == "HEAD";
    if method != "GET" && !head {
        return respond(
            &mut out,
            405,
            "text/plain; charset=utf-8",
            b"only GET and HEAD\n",
            head,
        );
    }
    let Some(path) = resolve(root, target) else {
        return respond(
            &mut out,
            400,
            "text/plain; charset=utf-8",
            b"bad path\n",
            head,
        );
    };
    match fs::read(&path) {
        Ok(body) => respond(&mut out, 200, mime_type(&path), &body, head),
        Err(_) => {
            if log {
                eprintln!("serve: 404 {target}");
            }
            respond(
                &mut out,
                404,
                "text/plain; charset=utf-8",
                b"not found\n",
                head,
            )
        }
    }
}

fn respond(out: &mut TcpStream, code: u16, mime: &str, body: &[u8], head: bool) -> io::Result<()> {
    let reason = match code {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        _ => "Error",
    };
    let header = format!(
        "HTTP/1.1 {code} {reason}\r\nContent-Type: {mime}\r\nContent-Length: {}\r\n\
         Cache-Control: no-cache\r\nX-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
        body.len()
    );
    out.write_all(header.as_bytes())?;
    if !head {
        out.write_all(body)?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mime_types() {
        assert_eq!(mime_type(Path::new("a_bg.wasm")), "application/wasm");
        assert_eq!(
            mime_type(Path::new("a.js")),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(mime_type(Path::new("s.CSS")), "text/css; charset=utf-8");
        assert_eq!(
            mime_type(Path::new("index.html")),
            "text/html; charset=utf-8"
        );
        assert_eq!(mime_type(Path::new("icon.svg")), "image/svg+xml");
        assert_eq!(mime_type(Path::new("blob")), "application/octet-stream");
    }

    #[test]
    fn paths_stay_under_the_root() {
        let root = Path::new("/srv/dist");
        assert_eq!(resolve(root, "/a.js?x=1"), Some(root.join("a.js")));
        assert_eq!(
            resolve(root, "/sub/./b%20c.css"),
            Some(root.join("sub/b c.css"))
        );
        assert_eq!(resolve(root, "/../etc/passwd"), None);
        assert_eq!(resolve(root, "/a/%2e%2e/%2e%2e/etc/passwd"), None);
        assert_eq!(resolve(root, "/..%2fetc"), None);
        assert_eq!(resolve(root, "/a%5c..%5cb"), None);
        assert_eq!(resolve(root, "/%zz"), None);
        assert_eq!(resolve(root, "no-slash"), None);
    }

    fn get(url_addr: SocketAddr, request: &str) -> String {
        let mut s = TcpStream::connect(url_addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut out = Vec::new();
        s.read_to_end(&mut out).unwrap();
        String::from_utf8_lossy(&out).into_owned()
    }

    #[test]
    fn serves_files_with_their_types() {
        let dir = std::env::temp_dir().join(format!("xtask-serve-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join("index.html"), "<!doctype html><title>t</title>").unwrap();
        fs::write(dir.join("app_bg.wasm"), b"\0asm\x01\0\0\0").unwrap();
        fs::write(dir.join("app.js"), "export {};").unwrap();
        let running = Server::new(bind(0).unwrap(), dir.clone(), false)
            .spawn()
            .unwrap();
        let addr = running.addr;

        let r = get(addr, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
        assert!(
            r.contains("Content-Type: text/html; charset=utf-8\r\n"),
            "{r}"
        );
        assert!(r.ends_with("<!doctype html><title>t</title>"), "{r}");

        let r = get(addr, "GET /app_bg.wasm HTTP/1.1\r\n\r\n");
        assert!(r.contains("Content-Type: application/wasm\r\n"), "{r}");
        assert!(r.contains("Content-Length: 8\r\n"), "{r}");

        let r = get(addr, "HEAD /app.js HTTP/1.1\r\n\r\n");
        assert!(
            r.contains("Content-Type: text/javascript; charset=utf-8\r\n"),
            "{r}"
        );
        assert!(r.ends_with("\r\n\r\n"), "HEAD has no body: {r}");

        assert!(get(addr, "GET /missing.css HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 404"));
        assert!(get(addr, "GET /../../etc/passwd HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 400"));
        assert!(get(addr, "POST / HTTP/1.1\r\n\r\n").starts_with("HTTP/1.1 405"));
        assert!(get(addr, "\r\n\r\n").starts_with("HTTP/1.1 400"));
        drop(running);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_busy_port_is_a_clear_error() {
        let first = bind(0).unwrap();
        let port = first.local_addr().unwrap().port();
        let err = bind(port).unwrap_err();
        assert!(
            err.contains(&format!("port {port} is already in use")),
            "{err}"
        );
    }
}

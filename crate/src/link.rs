//! Permalinks: the whole session (scenario text, preset and knob
//! overrides, schedule, cursor, compare mode) in a URL fragment, compressed
//! (LZ4) and base64url-encoded, behind a format version.
//!
//! A link is untrusted input (it arrives from a mailing list): decoding is
//! bounded in size before anything is allocated or decompressed, every
//! field is length-checked, and the scenario it carries is validated like a
//! file by whoever opens it. Nothing here panics on any input.
//!
//! Payload, version 1: `1.` + base64url(lz4(size-prepended)) of
//! `b"DS1"` then fields: scenario text, preset (optional), overrides,
//! schedule, cursor, compare (optional: preset, overrides), then a 32-bit
//! FNV-1a checksum of everything before it (little-endian), so that a
//! character changed in transit is an error rather than another scenario.
//! Strings are varint-length-prefixed UTF-8.

use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// The format version this build writes and reads.
pub const VERSION: u32 = 1;
/// Longest payload accepted, in characters (browsers keep ~64 KiB fragments).
pub const MAX_PAYLOAD: usize = 60 * 1024;
/// Largest session (decompressed) a link of this build makes and opens.
pub const MAX_SESSION: usize = crate::scenario::limits::MAX_TEXT + 16 * 1024;
/// LZ4 turns one byte into at most 255 (a match length byte of 255): a
/// size claimed above `255 ×` the compressed bytes is damage, not content.
const LZ4_MAX_RATIO: usize = 255;
/// Longest schedule a link carries (characters).
pub const MAX_SCHEDULE: usize = 16 * 1024;
/// Longest preset, knob or value name.
const MAX_NAME: usize = 64;
/// Most knob overrides per side.
const MAX_SET: usize = 64;

/// Where the links point: the fragment route the web app opens.
pub const ROUTE: &str = "#/link/";

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Session {
    /// The scenario's TOML text.
    pub scenario: String,
    /// The preset; `None` for the scenario's own.
    pub preset: Option<String>,
    pub set: Vec<(String, String)>,
    /// The run's schedule (actor names).
    pub schedule: String,
    /// The step the view is at.
    pub cursor: u32,
    /// Compare mode: the second policy.
    pub compare: Option<Compare>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Compare {
    pub preset: Option<String>,
    pub set: Vec<(String, String)>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkError {
    Empty,
    TooLong {
        len: usize,
    },
    /// Made by a newer dioscope.
    FutureVersion {
        found: u32,
    },
    NoVersion,
    /// Not base64url, or truncated in the middle of a character.
    BadEncoding,
    /// The data is cut short or damaged.
    Damaged(&'static str),
    /// (Encoding) the session is too big for a link.
    TooBig(&'static str),
    /// An intact link whose content is larger than this build accepts.
    TooLarge {
        what: &'static str,
        len: usize,
        max: usize,
    },
    /// Intact, with more knob overrides than dioscope accepts.
    TooManyKnobs(u64),
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkError::Empty => write!(f, "the link carries no session (nothing after {ROUTE})"),
            LinkError::TooLong { len } => {
                write!(f, "the link is {len} characters long; at most {MAX_PAYLOAD} are accepted")
            }
            LinkError::FutureVersion { found } => write!(
                f,
                "this link was made by a newer dioscope (link format {found}; this one reads format {VERSION}): open it with a newer version"
            ),
            LinkError::NoVersion => {
                write!(f, "this is not a dioscope link: it should start with a format version like `{VERSION}.`")
            }
            LinkError::BadEncoding => write!(f, "the link is damaged: it is not valid base64url (was it cut or altered when copied?)"),
            LinkError::Damaged(what) => write!(f, "the link is damaged or truncated ({what}): copy it again in full"),
            LinkError::TooBig(what) => write!(f, "this session does not fit in a link: {what}"),
            LinkError::TooLarge { what, len, max } => write!(
                f,
                "the link is intact, but its {what} is too large: {len} bytes, and at most {max} are accepted"
            ),
            LinkError::TooManyKnobs(n) => write!(
                f,
                "the link is intact, but it sets {n} knobs, and at most {MAX_SET} are accepted"
            ),
        }
    }
}

impl std::error::Error for LinkError {}

const MAGIC: &[u8] = b"DS1";

/// 32-bit FNV-1a.
fn fnv1a(b: &[u8]) -> u32 {
    b.iter().fold(0x811c_9dc5u32, |h, &x| {
        (h ^ u32::from(x)).wrapping_mul(0x0100_0193)
    })
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64);
    out.extend_from_slice(s.as_bytes());
}

fn put_opt(out: &mut Vec<u8>, s: &Option<String>) {
    match s {
        None => out.push(0),
        Some(s) => {
            out.push(1);
            put_str(out, s);
        }
    }
}

fn put_set(out: &mut Vec<u8>, set: &[(String, String)]) {
    put_varint(out, set.len() as u64);
    for (k, v) in set {
        put_str(out, k);
        put_str(out, v);
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8, LinkError> {
        let (&x, rest) = self
            .b
            .split_first()
            .ok_or(LinkError::Damaged("ends early"))?;
        self.b = rest;
        Ok(x)
    }
    fn varint(&mut self) -> Result<u64, LinkError> {
        let mut v: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(LinkError::Damaged("bad number"))
    }
    /// A string field; `what` names it when it is longer than `max`
    /// (the checksum has passed by then: the link is intact).
    fn string(&mut self, max: usize, what: &'static str) -> Result<String, LinkError> {
        let n = self.varint()?;
        if n > self.b.len() as u64 {
            return Err(LinkError::Damaged("a field is longer than the link"));
        }
        if n > max as u64 {
            return Err(LinkError::TooLarge {
                what,
                len: n as usize,
                max,
            });
        }
        let (s, rest) = self.b.split_at(n as usize);
        self.b = rest;
        String::from_utf8(s.to_vec()).map_err(|_| LinkError::Damaged("text is not UTF-8"))
    }
    fn opt(&mut self, max: usize) -> Result<Option<String>, LinkError> {
        match self.byte()? {
            0 => Ok(None),
            1 => Ok(Some(self.string(max, "preset name")?)),
            _ => Err(LinkError::Damaged("bad flag")),
        }
    }
    fn set(&mut self) -> Result<Vec<(String, String)>, LinkError> {
        let n = self.varint()?;
        if n > MAX_SET as u64 {
            return Err(LinkError::TooManyKnobs(n));
        }
        (0..n)
            .map(|_| {
                Ok((
                    self.string(MAX_NAME, "knob name")?,
                    self.string(MAX_NAME, "knob value")?,
                ))
            })
            .collect()
    }
}

/// The format version: decimal digits, exactly as this build writes them
/// (`1`, never `01`, `+1` or `0001`), so that one link has one spelling.
fn parse_version(ver: &str) -> Result<u32, LinkError> {
    let canonical = !ver.is_empty()
        && ver.len() <= 9
        && ver.bytes().all(|b| b.is_ascii_digit())
        && (ver == "0" || !ver.starts_with('0'));
    if !canonical {
        return Err(LinkError::NoVersion);
    }
    ver.parse().map_err(|_| LinkError::NoVersion)
}

impl Session {
    fn to_bytes(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        put_str(&mut out, &self.scenario);
        put_opt(&mut out, &self.preset);
        put_set(&mut out, &self.set);
        put_str(&mut out, &self.schedule);
        put_varint(&mut out, u64::from(self.cursor));
        match &self.compare {
            None => out.push(0),
            Some(c) => {
                out.push(1);
                put_opt(&mut out, &c.preset);
                put_set(&mut out, &c.set);
            }
        }
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    fn from_bytes(b: &[u8]) -> Result<Session, LinkError> {
        if b.len() < MAGIC.len() + 4 {
            return Err(LinkError::Damaged("too short"));
        }
        let (b, sum) = b.split_at(b.len() - 4);
        if fnv1a(b).to_le_bytes() != sum {
            return Err(LinkError::Damaged("its checksum does not match"));
        }
        let rest = b
            .strip_prefix(MAGIC)
            .ok_or(LinkError::Damaged("not a session"))?;
        let mut r = Reader { b: rest };
        let scenario = r.string(crate::scenario::limits::MAX_TEXT, "scenario")?;
        let preset = r.opt(MAX_NAME)?;
        let set = r.set()?;
        let schedule = r.string(MAX_SCHEDULE, "schedule")?;
        let cursor = r.varint()?;
        // a cursor past the run is shown at the run's end, like any other
        let cursor = u32::try_from(cursor).unwrap_or(u32::MAX);
        let compare = match r.byte()? {
            0 => None,
            1 => Some(Compare {
                preset: r.opt(MAX_NAME)?,
                set: r.set()?,
            }),
            _ => return Err(LinkError::Damaged("bad flag")),
        };
        if !r.b.is_empty() {
            return Err(LinkError::Damaged("trailing data"));
        }
        Ok(Session {
            scenario,
            preset,
            set,
            schedule,
            cursor,
            compare,
        })
    }

    /// Whether the session can travel in a link (what decoding accepts).
    fn check(&self) -> Result<(), LinkError> {
        let name_ok = |o: &Option<String>| o.as_ref().is_none_or(|p| p.len() <= MAX_NAME);
        let set_ok = |set: &[(String, String)]| {
            set.len() <= MAX_SET
                && set
                    .iter()
                    .all(|(k, v)| k.len() <= MAX_NAME && v.len() <= MAX_NAME)
        };
        if self.scenario.len() > crate::scenario::limits::MAX_TEXT {
            return Err(LinkError::TooBig(
                "the scenario text is longer than a scenario may be",
            ));
        }
        if self.schedule.len() > MAX_SCHEDULE {
            return Err(LinkError::TooBig(
                "the run is too long (its schedule is over 16384 characters)",
            ));
        }
        let cmp_ok = self
            .compare
            .as_ref()
            .is_none_or(|c| name_ok(&c.preset) && set_ok(&c.set));
        if !name_ok(&self.preset) || !set_ok(&self.set) || !cmp_ok {
            return Err(LinkError::TooBig(
                "a preset or knob name is too long, or there are too many knobs",
            ));
        }
        Ok(())
    }

    /// The fragment payload: `1.` + base64url of the compressed session.
    pub fn encode(&self) -> Result<String, LinkError> {
        self.check()?;
        let packed = lz4_flex::block::compress_prepend_size(&self.to_bytes());
        let payload = format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(packed));
        if payload.len() > MAX_PAYLOAD {
            return Err(LinkError::TooBig(
                "it compresses to more than a link may hold",
            ));
        }
        Ok(payload)
    }

    /// The full link, given the app's address (`http://host/`).
    pub fn url(&self, base: &str) -> Result<String, LinkError> {
        let base = base.split('#').next().unwrap_or(base);
        Ok(format!("{base}{ROUTE}{}", self.encode()?))
    }

    /// Decodes a payload, a fragment (`#/link/...`) or a whole URL.
    pub fn decode(link: &str) -> Result<Session, LinkError> {
        let link = link.trim();
        let payload = match link.find(ROUTE) {
            Some(i) => &link[i + ROUTE.len()..],
            None => link.strip_prefix('#').unwrap_or(link),
        };
        // a link wrapped in an email: drop the line breaks and the <>
        let payload: String = payload
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '>' && *c != '<')
            .collect();
        if payload.is_empty() {
            return Err(LinkError::Empty);
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(LinkError::TooLong { len: payload.len() });
        }
        let (ver, data) = payload.split_once('.').ok_or(LinkError::NoVersion)?;
        let ver = parse_version(ver)?;
        if ver > VERSION {
            return Err(LinkError::FutureVersion { found: ver });
        }
        if ver != VERSION {
            return Err(LinkError::NoVersion);
        }
        let packed = URL_SAFE_NO_PAD
            .decode(data)
            .map_err(|_| LinkError::BadEncoding)?;
        if packed.len() < 4 {
            return Err(LinkError::Damaged("too short"));
        }
        let size = u32::from_le_bytes([packed[0], packed[1], packed[2], packed[3]]) as usize;
        if size > (packed.len() - 4).saturating_mul(LZ4_MAX_RATIO) + LZ4_MAX_RATIO {
            return Err(LinkError::Damaged(
                "it claims to hold more than its data can",
            ));
        }
        // A session larger than this build makes is still decompressed
        // (at most 255 times the link: about 11 MB), so that an intact
        // link is called too large, and only a damaged one damaged.
        let bytes = lz4_flex::block::decompress(&packed[4..], size)
            .map_err(|_| LinkError::Damaged("it does not decompress"))?;
        Session::from_bytes(&bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Session {
        Session {
            scenario: crate::library::find("btrfs-dio-mmap-eio")
                .unwrap()
                .text
                .to_string(),
            preset: Some("linux-5.8".into()),
            set: vec![("dio_gup_fault".into(), "fault".into())],
            schedule: "A:7 B:3 dev:2".into(),
            cursor: 9,
            compare: Some(Compare {
                preset: Some("linux-5.9".into()),
                set: vec![],
            }),
        }
    }

    #[test]
    fn a_session_round_trips_through_a_url() {
        let s = sample();
        let url = s.url("http://127.0.0.1:8080/").unwrap();
        assert!(url.starts_with("http://127.0.0.1:8080/#/link/1."));
        assert_eq!(Session::decode(&url).unwrap(), s);
        assert_eq!(Session::decode(&s.encode().unwrap()).unwrap(), s);
    }

    #[test]
    fn damaged_links_say_what_is_wrong() {
        let p = sample().encode().unwrap();
        assert_eq!(Session::decode(""), Err(LinkError::Empty));
        assert_eq!(Session::decode("#/link/"), Err(LinkError::Empty));
        assert_eq!(
            Session::decode("2.AAAA"),
            Err(LinkError::FutureVersion { found: 2 })
        );
        assert!(Session::decode("hello")
            .unwrap_err()
            .to_string()
            .contains("not a dioscope link"));
        assert_eq!(Session::decode("1.###"), Err(LinkError::BadEncoding));
        let cut = &p[..p.len() / 2];
        assert!(matches!(
            Session::decode(cut),
            Err(LinkError::Damaged(_) | LinkError::BadEncoding)
        ));
        let long = format!("1.{}", "A".repeat(MAX_PAYLOAD + 1));
        assert!(matches!(
            Session::decode(&long),
            Err(LinkError::TooLong { .. })
        ));
        // a link that claims a huge size is refused before decompressing
        let mut evil = vec![0xff, 0xff, 0xff, 0x7f];
        evil.extend_from_slice(&[0; 8]);
        let evil = format!("1.{}", URL_SAFE_NO_PAD.encode(evil));
        assert!(matches!(Session::decode(&evil), Err(LinkError::Damaged(_))));
    }

    #[test]
    fn a_changed_character_is_caught_by_the_checksum() {
        let p = sample().encode().unwrap();
        let mut errors = 0;
        for i in (4..p.len()).step_by(7) {
            let mut b = p.clone().into_bytes();
            b[i] = if b[i] == b'A' { b'B' } else { b'A' };
            match Session::decode(&String::from_utf8(b).unwrap()) {
                Ok(got) => assert_eq!(got, sample(), "a damaged link decoded to another session"),
                Err(_) => errors += 1,
            }
        }
        assert!(errors > 0);
    }

    #[test]
    fn a_version_has_one_spelling() {
        let p = sample().encode().unwrap();
        let data = p.strip_prefix("1.").unwrap();
        assert_eq!(Session::decode(&p).unwrap(), sample());
        for ver in [
            "01",
            "00001",
            "+1",
            "１",
            "1e0",
            "0x1",
            "-1",
            "",
            "4294967297",
        ] {
            let link = format!("{ver}.{data}");
            let e = Session::decode(&link).unwrap_err();
            assert!(
                matches!(e, LinkError::NoVersion | LinkError::FutureVersion { .. }),
                "`{ver}.`: {e:?}"
            );
            assert!(!matches!(e, LinkError::FutureVersion { found: 1 }));
        }
        assert_eq!(
            Session::decode(&format!("2.{data}")),
            Err(LinkError::FutureVersion { found: 2 })
        );
    }

    /// The bytes of a session as `to_bytes` writes them, for any field sizes
    /// (encoding refuses what decoding refuses).
    fn raw_link(s: &Session) -> String {
        let packed = lz4_flex::block::compress_prepend_size(&s.to_bytes());
        format!("{VERSION}.{}", URL_SAFE_NO_PAD.encode(packed))
    }

    /// Intact links the browser fuzz of stop 24 saw called "damaged": a
    /// cursor past 2^32 now opens at the run's end, too many knobs says so.
    #[test]
    fn an_intact_link_with_a_far_cursor_or_many_knobs_is_not_called_damaged() {
        let mut out = MAGIC.to_vec();
        put_str(&mut out, "title = \"t\"\n");
        put_opt(&mut out, &None);
        put_set(&mut out, &[]);
        put_str(&mut out, "");
        put_varint(&mut out, 1 << 40);
        out.push(0);
        let sum = fnv1a(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        assert_eq!(Session::from_bytes(&out).unwrap().cursor, u32::MAX);
        let s = Session {
            set: (0..65).map(|i| (format!("k{i}"), "v".into())).collect(),
            ..Default::default()
        };
        let e = Session::decode(&raw_link(&s)).unwrap_err();
        assert_eq!(e, LinkError::TooManyKnobs(65));
        assert!(e.to_string().starts_with("the link is intact"), "{e}");
    }

    #[test]
    fn an_intact_link_too_large_is_called_too_large() {
        for n in [
            crate::scenario::limits::MAX_TEXT + 1,
            100 * 1024,
            1024 * 1024,
        ] {
            let s = Session {
                scenario: format!("title = \"{}\"\n", "x".repeat(n)),
                ..Default::default()
            };
            let e = Session::decode(&raw_link(&s)).unwrap_err();
            assert!(
                matches!(
                    e,
                    LinkError::TooLarge {
                        what: "scenario",
                        ..
                    }
                ),
                "{n}: {e:?}"
            );
            assert!(e.to_string().contains("too large"), "{e}");
            assert!(!e.to_string().contains("damaged"), "{e}");
        }
        let s = Session {
            schedule: "A ".repeat(MAX_SCHEDULE),
            ..Default::default()
        };
        let e = Session::decode(&raw_link(&s)).unwrap_err();
        assert!(
            matches!(
                e,
                LinkError::TooLarge {
                    what: "schedule",
                    ..
                }
            ),
            "{e:?}"
        );
        // damaged: a size no LZ4 data of that length can hold
        let mut evil = vec![0, 0, 0, 0x10];
        evil.extend_from_slice(&[0; 8]);
        let evil = format!("1.{}", URL_SAFE_NO_PAD.encode(evil));
        assert!(matches!(Session::decode(&evil), Err(LinkError::Damaged(_))));
    }

    #[test]
    fn a_session_too_big_for_a_link_is_refused_when_encoding() {
        let s = Session {
            schedule: "A ".repeat(MAX_SCHEDULE),
            ..Default::default()
        };
        assert!(matches!(s.encode(), Err(LinkError::TooBig(_))));
        assert!(s
            .url("http://x/")
            .unwrap_err()
            .to_string()
            .contains("does not fit"));
    }

    #[test]
    fn a_link_wrapped_by_an_email_client_still_opens() {
        let url = sample().url("http://x/").unwrap();
        let wrapped: String = format!("<{url}>")
            .chars()
            .collect::<Vec<_>>()
            .chunks(60)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n  ");
        assert_eq!(Session::decode(&wrapped).unwrap(), sample());
    }
}

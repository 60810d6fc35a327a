//! Command-line arguments of the xtask.

pub const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  serve [--port N]   install what is missing, build the web app (release)
                     and serve it on http://127.0.0.1:N/ (default 8080)
  build              build the web app into dist/ (relative paths: works
                     from any static host) and print its gzipped size
  test               run every test suite (native, wasm, end-to-end) and
                     print one summary line; exit non-zero on any failure
  fuzz --minutes N   run the core's fuzz targets on new seeds for N minutes
                     (release build, a time limit per case); options:
                     --target scenario,op,link,engine  --start SEED
  observe [...]      as root: run the kernel lab on every bundled scenario
                     on its filesystem, keep scenarios/observed/*.json
                     (`cargo xtask observe --help`)
  help               this message

Tools are installed on first use, at pinned versions, into .tools/.";

pub const DEFAULT_PORT: u16 = 8080;

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Help,
    Build,
    Serve {
        port: u16,
    },
    Test,
    Fuzz(crate::fuzz::FuzzArgs),
    /// `observe` and its own arguments (observe.rs parses them).
    Observe {
        args: Vec<String>,
    },
}

/// Parses the arguments after `cargo xtask`.
pub fn parse(args: &[String]) -> Result<Command, String> {
    let Some((cmd, rest)) = args.split_first() else {
        return Err("no command given".into());
    };
    let no_args = |c: Command| match rest.first() {
        None => Ok(c),
        Some(a) => Err(format!("`{cmd}` takes no arguments, got `{a}`")),
    };
    match cmd.as_str() {
        "help" | "--help" | "-h" => no_args(Command::Help),
        "build" => no_args(Command::Build),
        "test" => no_args(Command::Test),
        "serve" => parse_serve(rest),
        "fuzz" => crate::fuzz::parse(rest).map(Command::Fuzz),
        "observe" => Ok(Command::Observe {
            args: rest.to_vec(),
        }),
        other => Err(format!("unknown command `{other}`")),
    }
}

fn parse_serve(args: &[String]) -> Result<Command, String> {
    let mut port = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let value = if arg == "--port" || arg == "-p" {
            match it.next() {
                Some(v) => v.as_str(),
                None => return Err(format!("`{arg}` needs a port number, e.g. `{arg} 8081`")),
            }
        } else if let Some(v) = arg.strip_prefix("--port=") {
            v
        } else {
            return Err(format!("`serve` does not take `{arg}` (it takes --port N)"));
        };
        if port.is_some() {
            return Err("--port is given more than once".into());
        }
        port = Some(parse_port(value)?);
    }
    Ok(Command::Serve {
        port: port.unwrap_or(DEFAULT_PORT),
    })
}

fn parse_port(v: &str) -> Result<u16, String> {
    match v.parse::<u16>() {
        Ok(0) | Err(_) => Err(format!("--port needs a number from 1 to 65535, got `{v}`")),
        Ok(p) => Ok(p),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Command, String> {
        parse(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
    }

    #[test]
    fn commands() {
        assert_eq!(p(&["build"]), Ok(Command::Build));
        assert_eq!(p(&["test"]), Ok(Command::Test));
        assert_eq!(p(&["help"]), Ok(Command::Help));
        assert_eq!(p(&["--help"]), Ok(Command::Help));
        assert_eq!(p(&["serve"]), Ok(Command::Serve { port: 8080 }));
        assert_eq!(
            p(&["serve", "--port", "9000"]),
            Ok(Command::Serve { port: 9000 })
        );
        assert_eq!(p(&["serve", "--port=1"]), Ok(Command::Serve { port: 1 }));
        assert_eq!(
            p(&["serve", "-p", "65535"]),
            Ok(Command::Serve { port: 65535 })
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert_eq!(p(&[]), Err("no command given".into()));
        assert_eq!(p(&["deploy"]), Err("unknown command `deploy`".into()));
        assert_eq!(
            p(&["build", "--release"]),
            Err("`build` takes no arguments, got `--release`".into())
        );
        for bad in ["abc", "0", "65536", "-1", "", "80.5"] {
            assert_eq!(
                p(&["serve", "--port", bad]),
                Err(format!(
                    "--port needs a number from 1 to 65535, got `{bad}`"
                ))
            );
        }
        assert!(p(&["serve", "--port"])
            .unwrap_err()
            .contains("needs a port number"));
        assert!(p(&["serve", "--host", "x"])
            .unwrap_err()
            .contains("does not take `--host`"));
        assert!(p(&["serve", "--port", "1", "--port", "2"])
            .unwrap_err()
            .contains("more than once"));
    }
}

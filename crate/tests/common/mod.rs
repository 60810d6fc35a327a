//! Helpers shared by the integration tests.
#![allow(dead_code)]

use dioscope::report::RunReport;
use dioscope::run::RunSpec;
use dioscope::World;

pub fn scenario(toml: &str) -> dioscope::Scenario {
    dioscope::scenario::parse("test.toml", toml).unwrap_or_else(|e| panic!("\n{e}\n"))
}

/// Runs `toml` under `preset` with `schedule`, then the first runnable actor.
pub fn run(toml: &str, preset: Option<&str>, schedule: &str) -> World {
    let sc = scenario(toml);
    let spec = RunSpec {
        preset: preset.map(Into::into),
        schedule: schedule.into(),
        ..Default::default()
    };
    spec.run(&sc).unwrap_or_else(|e| panic!("{e}")).0
}

pub fn text(w: &World) -> String {
    RunReport::new(w, "test", &[], "").text()
}

/// The return value and data read of task `t`'s op `op` ("4096", "-EIO").
pub fn result(w: &World, t: u8, op: u8) -> (String, Vec<String>) {
    let h = w.hist.as_ref().unwrap();
    let c = h
        .syscalls
        .iter()
        .find(|c| c.task == t && c.op == op)
        .unwrap_or_else(|| panic!("no syscall {t}/{op}\n{}", text(w)));
    (
        c.ret.map_or("none".into(), |r| {
            r.text(&w.st.scenario.tasks[t as usize].ops[op as usize])
        }),
        c.read.clone(),
    )
}

pub fn step_names(w: &World) -> Vec<&'static str> {
    w.hist
        .as_ref()
        .unwrap()
        .steps
        .iter()
        .map(|s| s.name)
        .collect()
}

pub fn notes(w: &World) -> String {
    w.hist
        .as_ref()
        .unwrap()
        .steps
        .iter()
        .flat_map(|s| s.notes.iter().cloned())
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn fired(w: &World, name: &str) -> bool {
    w.outcomes().iter().any(|o| o.outcome.name() == name)
}

pub fn setup(extra: &str, tasks: &[(&str, &[&str])]) -> String {
    let mut t = format!("title = \"t\"\n[setup]\n{extra}\n");
    for (name, ops) in tasks {
        let ops: Vec<String> = ops.iter().map(|o| format!("\"{o}\"")).collect();
        t += &format!("[[task]]\nname = \"{name}\"\nops = [{}]\n", ops.join(", "));
    }
    t
}

//! The per-user OS schedule that runs dreams while the app is closed, on
//! real files: the systemd user timer is written from the agents' schedules,
//! checked by `systemd-analyze --user verify` where it exists (and always by
//! a unit-file parser here), rewritten when schedules change, and removed
//! with everything it wrote when no agent has a schedule.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use reverie_engine::Store;
use reverie_engine::os_schedule::{self, OsSchedule, Slot, launchd, systemd, task_scheduler};
use reverie_engine::store::{AgentUpdate, NewAgent, ProviderKind};

fn agent(store: &Store, name: &str, schedule: Option<&str>) {
    store
        .create_agent(&NewAgent {
            name: name.into(),
            provider: ProviderKind::Anthropic,
            model: "claude-haiku-4-5".into(),
            system_prompt: String::new(),
            tools: vec![],
        })
        .unwrap();
    set_schedule(store, name, schedule);
}

fn set_schedule(store: &Store, name: &str, schedule: Option<&str>) {
    let id = store.agent(name).unwrap().id;
    store
        .update_agent(
            &id,
            &AgentUpdate {
                dream_schedule: Some(schedule.map(str::to_string)),
                ..Default::default()
            },
        )
        .unwrap();
}

/// A small unit-file reader: sections of `Key=Value` lines; every line is a
/// comment, a section header, blank, or a key with a value. Fails on
/// anything else, so a malformed file cannot pass.
fn parse_unit(text: &str) -> BTreeMap<String, Vec<(String, String)>> {
    let mut sections: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut current = None;
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = Some(name.to_string());
            sections.entry(name.to_string()).or_default();
            continue;
        }
        let section = current
            .clone()
            .unwrap_or_else(|| panic!("line {}: key before any section", n + 1));
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("line {}: not Key=Value: {line}", n + 1));
        assert!(
            !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric()),
            "line {}: bad key {key:?}",
            n + 1
        );
        sections
            .get_mut(&section)
            .unwrap()
            .push((key.into(), value.into()));
    }
    sections
}

fn values<'a>(
    unit: &'a BTreeMap<String, Vec<(String, String)>>,
    section: &str,
    key: &str,
) -> Vec<&'a str> {
    unit.get(section)
        .map(|kv| {
            kv.iter()
                .filter(|(k, _)| k == key)
                .map(|(_, v)| v.as_str())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs systemd's own checker where it is installed; `None` when it is not.
fn systemd_verify(files: &[&Path]) -> Option<(bool, String)> {
    let runtime = tempfile::tempdir().unwrap();
    let out = Command::new("systemd-analyze")
        .args(["--user", "verify"])
        .args(files)
        .env("XDG_RUNTIME_DIR", runtime.path())
        .output()
        .ok()?;
    Some((
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

#[test]
fn the_systemd_user_timer_is_written_verified_and_removed() {
    let dir = tempfile::tempdir().unwrap();
    // A data folder with a space and a percent sign: both must survive quoting.
    let data = dir.path().join("My data 100%");
    let units = dir.path().join("systemd-user");
    let store = Store::open(&data).unwrap();
    // The program must exist for systemd's checker: use this test binary.
    let program = std::env::current_exe().unwrap();

    agent(&store, "scout", Some("03:00"));
    agent(&store, "writer", Some("0 6 * * 1-5"));
    agent(&store, "idle", None);
    let plan = os_schedule::plan(&store, &program, &data)
        .unwrap()
        .expect("a plan");
    assert_eq!(
        plan.slots,
        vec![
            Slot::At {
                hour: 3,
                minute: 0,
                weekdays: None
            },
            Slot::At {
                hour: 6,
                minute: 0,
                weekdays: Some(vec![1, 2, 3, 4, 5])
            },
        ]
    );

    let name = os_schedule::schedule_name(&data);
    let timer = systemd::SystemdUserTimer::in_dir(&units, &name);
    assert!(!timer.is_installed());
    os_schedule::sync(&timer, Some(&plan)).unwrap();
    assert!(timer.is_installed());

    let service_text = std::fs::read_to_string(timer.service_path()).unwrap();
    let timer_text = std::fs::read_to_string(timer.timer_path()).unwrap();
    let service = parse_unit(&service_text);
    let timer_unit = parse_unit(&timer_text);
    assert_eq!(values(&service, "Service", "Type"), ["oneshot"]);
    let exec = values(&service, "Service", "ExecStart");
    assert_eq!(exec.len(), 1);
    assert_eq!(
        exec[0],
        format!(
            "\"{}\" \"--data-dir\" \"{}\" \"dream\" \"--due\"",
            program.display(),
            data.display().to_string().replace('%', "%%")
        )
    );
    assert_eq!(
        values(&timer_unit, "Timer", "OnCalendar"),
        ["*-*-* 03:00:00", "Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00"]
    );
    assert_eq!(
        values(&timer_unit, "Timer", "Persistent"),
        ["true"],
        "catches up after sleep"
    );
    assert_eq!(
        values(&timer_unit, "Install", "WantedBy"),
        ["timers.target"]
    );
    // Enabled the way `systemctl --user enable` does it.
    let link = std::fs::read_link(timer.wants_link()).unwrap();
    assert_eq!(link, timer.timer_path());

    match systemd_verify(&[&timer.timer_path(), &timer.service_path()]) {
        Some((ok, stderr)) => {
            assert!(ok, "systemd-analyze verify refused the units: {stderr}");
            assert!(stderr.trim().is_empty(), "systemd-analyze warned: {stderr}");
            // The checker is not a rubber stamp: a broken calendar fails.
            let broken = dir.path().join("broken");
            std::fs::create_dir_all(&broken).unwrap();
            let bad_timer = broken.join(format!("{name}.timer"));
            // (Without the half-hourly look, the calendars are its only triggers.)
            let broken_text = timer_text
                .replace("OnUnitInactiveSec=30min\n", "")
                .replace("*-*-* 03:00:00", "3:99")
                .replace("Mon,Tue,Wed,Thu,Fri *-*-* 06:00:00", "someday");
            std::fs::write(&bad_timer, broken_text).unwrap();
            std::fs::copy(timer.service_path(), broken.join(format!("{name}.service"))).unwrap();
            let (ok, _) = systemd_verify(&[&bad_timer]).unwrap();
            assert!(!ok, "a bad calendar line passed systemd-analyze");
            eprintln!("verified with systemd-analyze --user verify");
        }
        None => {
            eprintln!("systemd-analyze is not installed; checked with the unit-file parser only")
        }
    }

    // A changed schedule rewrites the timer in place.
    set_schedule(&store, "writer", None);
    let plan = os_schedule::plan(&store, &program, &data).unwrap().unwrap();
    os_schedule::sync(&timer, Some(&plan)).unwrap();
    let timer_unit = parse_unit(&std::fs::read_to_string(timer.timer_path()).unwrap());
    assert_eq!(
        values(&timer_unit, "Timer", "OnCalendar"),
        ["*-*-* 03:00:00"]
    );

    // No schedule left: everything written is removed, the folder is clean.
    set_schedule(&store, "scout", None);
    assert_eq!(os_schedule::plan(&store, &program, &data).unwrap(), None);
    os_schedule::sync(&timer, None).unwrap();
    assert!(!timer.is_installed());
    assert!(std::fs::symlink_metadata(timer.wants_link()).is_err());
    let left: Vec<_> = walk(&units)
        .into_iter()
        .filter(|p| p.is_file() || p.is_symlink())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
    // Removing again is fine.
    os_schedule::sync(&timer, None).unwrap();
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() && !p.is_symlink() {
                out.extend(walk(&p));
            } else {
                out.push(p);
            }
        }
    }
    out
}

#[test]
fn launchd_and_task_scheduler_describe_the_same_plan() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let store = Store::open(&data).unwrap();
    agent(&store, "scout", Some("daily 22:30"));
    agent(&store, "weekend", Some("0 9 * * 0,6"));
    let program = Path::new("/Applications/Reverie.app/Contents/MacOS/reverie");
    let plan = os_schedule::plan(&store, program, &data).unwrap().unwrap();

    let agent_file = launchd::LaunchAgent::in_dir(dir.path(), "reverie-dreams-test");
    agent_file.install(&plan).unwrap();
    let plist = std::fs::read_to_string(agent_file.plist_path()).unwrap();
    assert!(plist.contains("<string>/Applications/Reverie.app/Contents/MacOS/reverie</string>"));
    assert!(plist.contains("<string>--due</string>"));
    assert!(
        plist
            .contains("<key>Hour</key><integer>22</integer><key>Minute</key><integer>30</integer>")
    );
    assert_eq!(plist.matches("<key>Weekday</key>").count(), 2);
    agent_file.remove().unwrap();
    assert!(!agent_file.is_installed());

    let xml = task_scheduler::task_xml(&plan);
    assert!(xml.contains("<StartBoundary>2000-01-01T22:30:00</StartBoundary>"));
    assert!(xml.contains("<DaysOfWeek><Sunday /><Saturday /></DaysOfWeek>"));
    assert!(xml.contains("<StartWhenAvailable>true</StartWhenAvailable>"));
    assert!(xml.contains("&quot;--due&quot;"));
}

/// The morning after: one sentence about what scheduled dreams did since
/// the app last looked; dreams started by hand are not in it.
#[test]
fn the_morning_summary_tells_what_scheduled_dreams_did() {
    use reverie_engine::store::{
        DreamMode, DreamStatus, DreamTrigger, EditOp, NewDream, NewProposalEdit,
    };
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    agent(&store, "Scout", Some("03:00"));
    agent(&store, "Writer", Some("03:00"));
    let since = reverie_engine::ids::now();
    assert_eq!(
        os_schedule::overnight_summary(&store, &since).unwrap(),
        None
    );
    // Times are kept to the millisecond: start the dreams after `since`.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let dream = |name: &str, trigger| {
        let a = store.agent(name).unwrap();
        store
            .create_dream(&NewDream {
                agent_id: a.id.clone(),
                input_store_id: a.default_store().unwrap().store_id.clone(),
                mode: DreamMode::UpdateExisting,
                trigger,
                provider: "anthropic".into(),
                model: "m".into(),
                instructions: String::new(),
                budget_tokens: None,
                session_ids: vec![],
            })
            .unwrap()
    };
    let scout = dream("Scout", DreamTrigger::Schedule);
    store
        .set_dream_status(&scout.id, DreamStatus::Running, None)
        .unwrap();
    let edit = |path: &str| NewProposalEdit {
        op: EditOp::Create,
        path: path.into(),
        merged_paths: vec![],
        content: Some("x".into()),
        base_sha256: None,
        reason: "seen twice".into(),
        source_session_ids: vec![],
    };
    store
        .complete_dream(&scout.id, &[edit("/memories/a.md"), edit("/memories/b.md")])
        .unwrap();
    let writer = dream("Writer", DreamTrigger::Schedule);
    store
        .set_dream_status(&writer.id, DreamStatus::Running, None)
        .unwrap();
    store
        .set_dream_status(
            &writer.id,
            DreamStatus::Failed,
            Some("the model API is overloaded"),
        )
        .unwrap();
    dream("Writer", DreamTrigger::Ui); // by hand: not part of the morning news
    let line = os_schedule::overnight_summary(&store, &since)
        .unwrap()
        .unwrap();
    assert_eq!(
        line,
        "While Reverie was closed: Scout has 2 changes to review; Writer's dream failed (the model API is overloaded)."
    );
    // Told once: nothing new since now.
    std::thread::sleep(std::time::Duration::from_millis(5));
    let later = reverie_engine::ids::now();
    assert_eq!(
        os_schedule::overnight_summary(&store, &later).unwrap(),
        None
    );
}

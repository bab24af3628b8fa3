//! Limits a user can reach from the command line (`reverie agent update
//! --max-turns N --max-minutes N --max-cost USD`), refused with a sentence
//! naming the field when out of range; and `reverie dream --due`, what the
//! OS schedule runs while the app is closed.

mod support {
    pub mod cli;
}

use support::cli::{json, ok, reverie};

#[test]
fn limits_are_set_shown_and_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(&reverie(
        d,
        &["agent", "create", "Research helper", "--model", "m"],
        None,
    ));
    let shown = ok(&reverie(d, &["agent", "show", "Research helper"], None));
    assert!(
        shown.contains("limits:   30 turns, 30 minutes of running time, no cost cap"),
        "{shown}"
    );

    let agent = json(&reverie(
        d,
        &[
            "--json",
            "agent",
            "update",
            "Research helper",
            "--max-turns",
            "60",
            "--max-minutes",
            "90",
            "--max-cost",
            "0.50",
            "--max-output-tokens",
            "50000",
        ],
        None,
    ));
    assert_eq!(agent["settings"]["max_turns"], 60);
    assert_eq!(agent["settings"]["max_wall_seconds"], 5400.0);
    assert_eq!(agent["settings"]["max_cost_usd"], 0.5);
    assert_eq!(agent["settings"]["max_output_tokens"], 50000);
    let shown = ok(&reverie(d, &["agent", "show", "Research helper"], None));
    assert!(shown.contains("limits:   60 turns, 90 minutes of running time, $0.50 of model cost, 50000 output tokens"), "{shown}");

    // `none` removes the cost cap; other settings stay.
    let agent = json(&reverie(
        d,
        &[
            "--json",
            "agent",
            "update",
            "Research helper",
            "--max-cost",
            "none",
        ],
        None,
    ));
    assert!(agent["settings"].get("max_cost_usd").is_none());
    assert_eq!(agent["settings"]["max_turns"], 60);

    for (args, words) in [
        (
            &["--max-turns", "0"][..],
            "The turn limit must be between 1 and 1000",
        ),
        (
            &["--max-minutes", "0"][..],
            "The time limit must be more than 0",
        ),
        (
            &["--max-cost", "lots"][..],
            "'lots' is not an amount in dollars",
        ),
    ] {
        let mut all = vec!["agent", "update", "Research helper"];
        all.extend_from_slice(args);
        let out = reverie(d, &all, None);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(words), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
}

#[test]
fn dream_due_runs_what_is_due_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Nothing scheduled: nothing due, exit 0.
    assert_eq!(
        ok(&reverie(d, &["dream", "--due"], None)).trim(),
        "No dream is due."
    );
    ok(&reverie(
        d,
        &[
            "agent", "create", "scout", "--model", "m", "--tools", "memory",
        ],
        None,
    ));
    ok(&reverie(
        d,
        &["agent", "update", "scout", "--dream-schedule", "03:00"],
        None,
    ));
    // The first look at a new schedule only notes it; the next slot counts.
    let first = json(&reverie(d, &["--json", "dream", "--due"], None));
    assert_eq!(first, serde_json::json!([]));
    // --due and --agent do not mix.
    let out = reverie(d, &["dream", "--due", "--agent", "scout"], None);
    assert_eq!(out.status.code(), Some(2));
}

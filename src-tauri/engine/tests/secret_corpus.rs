//! The secret scanner against the committed corpora (`tests/corpora`):
//! made-up credentials of 50+ real formats in the lines people paste, and
//! ordinary memory lines that talk about tokens, keys and passwords.
//! Prints recall and the false-positive rate; fails below the targets
//! (recall >= 95%, false positives <= 1%).

use std::path::PathBuf;

use reverie_engine::secrets;

fn corpus(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/corpora").join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn secret_recall_and_false_positives_meet_their_targets() {
    let mut total = 0;
    let mut found = 0;
    let mut kinds = std::collections::BTreeSet::new();
    let mut missed = Vec::new();
    let mut leaked = Vec::new();
    for line in corpus("secrets.jsonl").lines() {
        let sample: serde_json::Value = serde_json::from_str(line).unwrap();
        let text = sample["text"].as_str().unwrap();
        let kind = sample["kind"].as_str().unwrap();
        kinds.insert(kind.to_string());
        total += 1;
        if secrets::contains_secret(text) {
            found += 1;
            // Masking must leave nothing a scanner (or a person) could use.
            let masked = secrets::mask(text);
            if secrets::contains_secret(&masked) {
                leaked.push(format!("{kind}: {masked}"));
            }
        } else {
            missed.push(format!("{kind}: {text}"));
        }
    }
    let ordinary: Vec<&str> = corpus("ordinary.txt").leak().lines().collect();
    let false_positives: Vec<String> = ordinary
        .iter()
        .filter(|l| secrets::contains_secret(l))
        .map(|l| format!("{l}  -> {:?}", secrets::kinds(l)))
        .collect();
    let recall = found as f64 / total as f64;
    let fp_rate = false_positives.len() as f64 / ordinary.len() as f64;
    println!(
        "secret recall: {found}/{total} = {:.1}% over {} kinds (target >= 95%)",
        recall * 100.0,
        kinds.len()
    );
    println!(
        "false positives: {}/{} ordinary lines = {:.2}% (target <= 1%)",
        false_positives.len(),
        ordinary.len(),
        fp_rate * 100.0
    );
    for m in &missed {
        println!("  missed  {m}");
    }
    for f in &false_positives {
        println!("  flagged {f}");
    }
    assert!(total >= 150 && kinds.len() >= 40, "the corpus is too small");
    assert!(ordinary.len() >= 300, "the ordinary corpus is too small");
    assert!(leaked.is_empty(), "masking left secrets: {leaked:#?}");
    assert!(recall >= 0.95, "recall {recall:.3} is under 95%");
    assert!(fp_rate <= 0.01, "false positives {fp_rate:.3} are over 1%");
}

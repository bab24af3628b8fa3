//! The system prompt of a session: the agent's own prompt, then what its
//! memory holds — for each mounted store, its instructions and its index
//! document (`/memories/_index.md`), or a list of its documents when it has
//! no index yet — so the agent knows what to open with the memory tool.

use crate::tools::memory_view::MemoryAccess;
use crate::memory_path;
use crate::store::Access;
use crate::tools::memory::Mount;

/// How much of an index document goes into the prompt.
const INDEX_BUDGET: usize = 8_000;
const LISTING_LIMIT: usize = 50;

pub fn system_prompt(
    store: &dyn MemoryAccess,
    agent_prompt: &str,
    mounts: &[Mount],
    has_memory_tool: bool,
) -> crate::Result<String> {
    let mut out = agent_prompt.trim().to_string();
    if !has_memory_tool || mounts.is_empty() {
        return Ok(out);
    }
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(
        "You have a long-term memory under /memories, kept between sessions. Before you start, look at what is \
         relevant there with the memory tool; when you learn something worth keeping (a mistake to avoid, a \
         preference, a useful fact), record it there. Keep /memories/_index.md saying what each document holds.\n",
    );
    for mount in mounts {
        let root = match &mount.dir {
            Some(dir) => format!("/memories/{dir}"),
            None => memory_path::ROOT.to_string(),
        };
        let access = match mount.access {
            Access::ReadOnly => "read-only",
            Access::ReadWrite => "read-write",
        };
        out.push_str(&format!(
            "\n<memory_store name=\"{}\" path=\"{root}\" access=\"{access}\">\n",
            mount.store_name
        ));
        let store_row = store.memory_store(&mount.store_id)?;
        if !store_row.instructions.trim().is_empty() {
            out.push_str(&format!(
                "<instructions>\n{}\n</instructions>\n",
                store_row.instructions.trim()
            ));
        }
        match store
            .read_document(&mount.store_id, memory_path::INDEX)
            .ok()
            .flatten()
        {
            Some((_, index)) => {
                let shown: String = index.chars().take(INDEX_BUDGET).collect();
                out.push_str(&format!(
                    "<index path=\"{root}/_index.md\">\n{}\n</index>\n",
                    shown.trim_end()
                ));
            }
            None => {
                let docs = store.first_documents(&mount.store_id, LISTING_LIMIT)?;
                if docs.is_empty() {
                    out.push_str("(empty)\n");
                } else {
                    for doc in &docs {
                        out.push_str(&format!(
                            "{root}{} ({} bytes)\n",
                            &doc.path[memory_path::ROOT.len()..],
                            doc.size
                        ));
                    }
                    let total = store_row.document_count as usize;
                    if total > docs.len() {
                        out.push_str(&format!("… and {} more\n", total - docs.len()));
                    }
                }
            }
        }
        out.push_str("</memory_store>\n");
    }
    Ok(out)
}

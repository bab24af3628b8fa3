#!/usr/bin/env python3
"""Drives the official Python SDK's reference memory handler
(BetaLocalFilesystemMemoryTool) for the differential test
src-tauri/engine/tests/memory_tool_reference.rs.

One JSON object per line on stdin: {"reset": true} starts a fresh memory
folder; anything else is a memory tool input. One JSON line answers each:
{"ok", "output", "files": {"/memories/..": content}, "dirs": ["/memories/.."]}.
"""
import json
import os
import sys
import tempfile

from anthropic.lib.tools._beta_builtin_memory_tool import BetaLocalFilesystemMemoryTool


def state(root):
    files, dirs = {}, []
    for here, subdirs, names in os.walk(root):
        rel = os.path.relpath(here, root)
        shown = "/memories" if rel == "." else "/memories/" + rel.replace(os.sep, "/")
        if rel != ".":
            dirs.append(shown)
        for name in names:
            path = os.path.join(here, name)
            if name.startswith(".tmp-"):
                continue
            with open(path, encoding="utf-8") as f:
                files[shown + "/" + name] = f.read()
    return files, sorted(dirs)


tool = None
base = None
for line in sys.stdin:
    request = json.loads(line)
    if request.get("reset"):
        base = tempfile.mkdtemp(prefix="memref-")
        tool = BetaLocalFilesystemMemoryTool(base_path=base)
        print(json.dumps({"ok": True}), flush=True)
        continue
    try:
        output = tool.call(request)
        ok = True
    except Exception as e:  # ToolError and the OS errors the handler lets through
        output = f"{type(e).__name__}: {e}"
        ok = False
    files, dirs = state(os.path.join(base, "memories"))
    print(json.dumps({"ok": ok, "output": str(output), "files": files, "dirs": dirs}), flush=True)

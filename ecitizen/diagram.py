"""A flow drawn as a Mermaid state diagram, from the same table the engine runs.

`python -m ecitizen.diagram docs/flows` (`make diagrams`) draws every flow the engine runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from flows.engine.flow import END, Flow, Kind

_SHAPE = {
    Kind.ASK: "ask",
    Kind.CHOOSE: "choose",
    Kind.CONFIRM: "yes/no",
    Kind.INFO: "info",
    Kind.ACTION: "action",
}


def mermaid(flow: Flow) -> str:
    lines = ["stateDiagram-v2", f"    [*] --> {flow.first}"]
    for step in flow.steps:
        detail = _SHAPE[step.kind]
        if step.slot and not step.slot.startswith("_"):
            detail += f": {step.slot}"
        if step.skip_when:
            detail += f" (skipped when {step.skip_when})"
        lines.append(f"    {step.name}: {step.name} [{detail}]")
    for trigger, source, dest in flow.transitions():
        target = "[*]" if dest == END else dest
        lines.append(f"    {source} --> {target}: {trigger}")
    return "\n".join(lines) + "\n"


def markdown(flow: Flow) -> str:
    return (
        f"# The `{flow.name}` flow\n\n"
        "Drawn by `ecitizen flows diagram` from the table the engine runs; "
        "global commands (start, back, cancel, help, language, restart) work from every step.\n\n"
        f"```mermaid\n{mermaid(flow)}```\n"
    )


def draw_all(folder: Path) -> list[Path]:
    """docs/flows/<flow>.md for every flow the engine runs; returns the files written."""
    from flows.conversations.assembly import FLOWS

    written = []
    for flow in FLOWS:
        path = folder / f"{flow.name}.md"
        path.write_text(markdown(flow), encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    draw_all(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/flows"))

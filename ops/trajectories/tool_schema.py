"""The agent tool schema trajectories use (OpenAI ``tools`` format) and a validator for tool calls.

| tool        | arguments                         | observation                                          |
|-------------|-----------------------------------|------------------------------------------------------|
| search      | query: str                        | real: ``git grep -F`` over the tree at that commit   |
| open_file   | path: str                         | real: the file as it was at that commit (``git show``) |
| edit_file   | path: str, patch: str (unified hunks) | replayed: the real hunks, in commit order        |
| run_tests   | tests: list[str] (test file paths)| synthetic: derived from what the PR changed, never run |
| submit      | summary: str                      | synthetic: acknowledgement                           |
"""
from __future__ import annotations

import json
from typing import Any

TOOLS: list[dict[str, Any]] = [
    {"type": "function", "function": {
        "name": "search", "description": "Search the repository's files for a fixed string.",
        "parameters": {"type": "object", "properties": {
            "query": {"type": "string", "description": "text to find"}}, "required": ["query"]}}},
    {"type": "function", "function": {
        "name": "open_file", "description": "Show a file's current content.",
        "parameters": {"type": "object", "properties": {
            "path": {"type": "string", "description": "repository-relative path"}}, "required": ["path"]}}},
    {"type": "function", "function": {
        "name": "edit_file", "description": "Apply unified-diff hunks to one file (creates it when new).",
        "parameters": {"type": "object", "properties": {
            "path": {"type": "string"},
            "patch": {"type": "string", "description": "unified diff hunks (@@ headers and +/-/space lines)"}},
            "required": ["path", "patch"]}}},
    {"type": "function", "function": {
        "name": "run_tests", "description": "Run the named test files.",
        "parameters": {"type": "object", "properties": {
            "tests": {"type": "array", "items": {"type": "string"}}}, "required": ["tests"]}}},
    {"type": "function", "function": {
        "name": "submit", "description": "Finish the task with a summary of the change.",
        "parameters": {"type": "object", "properties": {
            "summary": {"type": "string"}}, "required": ["summary"]}}},
]
TOOL_NAMES = {t["function"]["name"] for t in TOOLS}
_TYPES = {"string": str, "array": list, "object": dict}

# Observation kinds recorded for every tool result.
REAL, REPLAYED, SYNTHETIC = "real", "replayed", "synthetic"


def validate_tool_call(name: str, arguments: str | dict) -> str | None:
    """None when the call names a known tool with the required, well-typed arguments; else why not."""
    if name not in TOOL_NAMES:
        return f"unknown tool {name!r}"
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments)
        except ValueError:
            return f"{name}: arguments are not JSON"
    if not isinstance(arguments, dict):
        return f"{name}: arguments are not an object"
    spec = next(t["function"]["parameters"] for t in TOOLS if t["function"]["name"] == name)
    for req in spec["required"]:
        if req not in arguments:
            return f"{name}: missing argument {req!r}"
    for key, value in arguments.items():
        prop = spec["properties"].get(key)
        if prop is None:
            return f"{name}: unexpected argument {key!r}"
        if not isinstance(value, _TYPES[prop["type"]]):
            return f"{name}: argument {key!r} should be {prop['type']}"
        if prop["type"] == "string" and not value.strip():
            return f"{name}: argument {key!r} is empty"
    return None


def validate_messages(messages: list[dict]) -> list[str]:
    """Format problems of an OpenAI chat/tool-call conversation (empty list = valid): roles,
    tool-call shape and arguments, every tool call answered by exactly one tool message."""
    problems: list[str] = []
    if not messages or messages[0].get("role") != "system":
        problems.append("conversation must start with a system message")
    pending: set[str] = set()
    for i, m in enumerate(messages):
        role = m.get("role")
        if role not in ("system", "user", "assistant", "tool"):
            problems.append(f"message {i}: bad role {role!r}")
            continue
        if role == "tool":
            tid = m.get("tool_call_id")
            if tid not in pending:
                problems.append(f"message {i}: tool result for unknown call {tid!r}")
            pending.discard(tid)
            continue
        if pending:
            problems.append(f"message {i}: tool calls {sorted(pending)} left unanswered")
            pending.clear()
        for call in m.get("tool_calls") or []:
            if role != "assistant":
                problems.append(f"message {i}: only the assistant makes tool calls")
            fn = call.get("function") or {}
            why = validate_tool_call(fn.get("name", ""), fn.get("arguments", ""))
            if why:
                problems.append(f"message {i}: {why}")
            pending.add(call.get("id"))
        if role == "assistant" and not (m.get("content") or "").strip() and not m.get("tool_calls"):
            problems.append(f"message {i}: empty assistant message")
    if pending:
        problems.append(f"tool calls {sorted(pending)} left unanswered at the end")
    if messages and messages[-1].get("role") != "assistant":
        problems.append("conversation must end with an assistant message")
    return problems

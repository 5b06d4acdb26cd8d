"""The benchmarks' one table format: rows of dicts as a Markdown table (used by run.py and class_grading.py)."""


def markdown_table(rows: list[dict]) -> str:
    """``rows`` (dicts with the same keys) as a Markdown table; floats with 4 significant digits."""
    if not rows:
        return "(nothing measured)"
    keys = [k for k in rows[0] if k != "error"]
    fmt = lambda v: f"{v:.4g}" if isinstance(v, float) else str(v)  # noqa: E731
    lines = [" | ".join(keys), " | ".join("---" for _ in keys)]
    lines += [" | ".join(fmt(row[k]) for k in keys) for row in rows]
    return "\n".join(lines)

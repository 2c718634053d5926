"""Checks an executed notebook: every code cell ran, none left an error.

nbconvert already fails on a cell that raises, which is how a Go kernel
reports a compile error or a panic. This catches what can slip through:
a cell that never ran, an error output, or a panic printed to stderr by a
kernel that did not report it as an error.

    python3 notebooks/check.py EXECUTED.ipynb
"""

import sys

import nbformat

# Text that never belongs in a passing notebook's output.
FATAL = ("panic:", "fatal error:", "goroutine 1 [")


def problems(path):
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        if cell.get("execution_count") is None:
            found.append(f"cell {i}: did not run")
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                found.append(f"cell {i}: {out.get('ename', '')}: {out.get('evalue', '')}".strip())
            elif out.output_type == "stream":
                for line in out.text.splitlines():
                    if any(f in line for f in FATAL):
                        found.append(f"cell {i}: {out.name}: {line}")
    return found


def main():
    bad = 0
    for path in sys.argv[1:]:
        found = problems(path)
        for p in found:
            print(f"{path}: {p}")
        bad += len(found)
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()

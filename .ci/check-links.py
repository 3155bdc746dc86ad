#!/usr/bin/env python3
"""Every relative link of every tracked Markdown file must resolve: to a file git tracks
(so a clone has it), and to a heading of it when it names one (`file.md#anchor`, `#anchor`).
Links to the web (http:, https:, mailto:) are not followed, since CI has no internet; any
other scheme (file:, …) and any path leaving the repository is an error. Markdown links,
reference definitions and the `href`/`src` of inline HTML are all checked."""

import re
import subprocess
import sys
from pathlib import Path

LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE = re.compile(r"^\s*\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+\"[^\"]*\")?\s*$", re.M)
HTML = re.compile(r"<[a-z][^>]*?\s(?:href|src)\s*=\s*[\"']([^\"']+)[\"']", re.I)
# A fenced block (CommonMark): up to three spaces, a run of three or more backticks or
# tildes, closed by a run at least as long of the same character.
FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})[^\n]*\n.*?^ {0,3}\1[`~]*[ \t]*$", re.M | re.S)
# A code span: a run of backticks (not escaped), then anything up to the first run of the
# same length; spans may cross the line ends of a hard-wrapped paragraph, never a block.
CODE_SPAN = re.compile(r"(?<![`\\])(`+)(?!`)[\s\S]+?(?<!`)\1(?!`)")
# Where a block ends: a blank line, or a line that starts a list item, table row, heading
# or quote.
BLOCK = re.compile(r"\n[ \t]*\n|\n(?=[ \t]*(?:[-*+][ \t]|\d+[.)][ \t]|\||#|>))")


def strip_code(text: str) -> str:
    """The text without fenced blocks and code spans, block by block."""
    blocks = BLOCK.split(FENCE.sub("", text))
    return "\n\n".join(CODE_SPAN.sub("", block) for block in blocks)
HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$", re.M)
SCHEME = re.compile(r"^([a-z][a-z0-9+.-]*):", re.I)
WEB = {"http", "https", "mailto"}


def slug(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"`|\*|_(?=\W)|(?<=\W)_", "", heading.strip().lower())
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text(encoding="utf-8"))
    return {slug(h) for h in HEADING.findall(text)}


def tracked(root: Path) -> set[Path]:
    out = subprocess.check_output(["git", "ls-files", "-z"], cwd=root)
    return {(root / name).resolve() for name in out.decode().split("\0") if name}


def main() -> int:
    root = Path(subprocess.check_output(["git", "rev-parse", "--show-toplevel"], text=True).strip()).resolve()
    files = tracked(root)
    # A tracked directory is one that holds a tracked file.
    dirs = {parent for f in files for parent in f.parents}
    markdown = sorted(f for f in files if f.suffix == ".md" and f.is_file())
    broken = []
    for path in markdown:
        name = path.relative_to(root)
        text = strip_code(path.read_text(encoding="utf-8"))
        targets = LINK.findall(text) + REFERENCE.findall(text) + HTML.findall(text)
        for target in targets:
            scheme = SCHEME.match(target)
            if scheme:
                if scheme.group(1).lower() not in WEB:
                    broken.append(f"{name}: {target} uses a scheme other than http, https or mailto")
                continue
            file_part, _, anchor = target.partition("#")
            file_part = file_part.split("?", 1)[0]
            dest = (path.parent / file_part).resolve() if file_part else path
            try:
                dest.relative_to(root)
            except ValueError:
                broken.append(f"{name}: {target} leaves the repository")
                continue
            if dest not in files and dest not in dirs:
                broken.append(f"{name}: {target} is not a file the repository tracks")
            elif anchor and dest.suffix == ".md" and anchor not in anchors(dest):
                broken.append(f"{name}: {target} names no heading of {dest.relative_to(root)}")
    for line in broken:
        print(line, file=sys.stderr)
    print(f"{len(markdown)} Markdown files, {len(broken)} broken links")
    return 1 if broken else 0


if __name__ == "__main__":
    sys.exit(main())

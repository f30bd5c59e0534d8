"""Where a process spends its time: py-spy samples it from outside, and the samples are summed up by library.

Profiles are taken in runs of their own, after the measured ones: py-spy's own CPU time would otherwise count
in the figures (it is a child of the benchmark, like wrk and the rebuilds). A sample is one stack of a thread
that was running Python (py-spy leaves idle threads out), so the shares say where the CPU time went.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from shared.settings import ROOT

OUT = ROOT / ".local" / "bench"
# Sampled 200 times a second without stopping the process; whole file names, so that frames can be told apart.
SPY = ("py-spy", "record", "--format", "raw", "--full-filenames", "--nonblocking", "--rate", "200")
_FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


@dataclass
class Profile:
    name: str
    samples: int = 0
    by_area: Counter[str] = field(default_factory=Counter)  # own time of the frames of each library
    by_function: Counter[str] = field(default_factory=Counter)

    def summary(self, top: int = 6) -> str:
        if not self.samples:
            return f"{self.name}: no samples"
        areas = ", ".join(f"{area} {n / self.samples:.0%}" for area, n in self.by_area.most_common(top))
        functions = ", ".join(f"`{fn}` {n / self.samples:.0%}" for fn, n in self.by_function.most_common(top))
        return (f"{self.name} ({self.samples:,} samples), own time by library: {areas}. "
                f"Functions with the most own time: {functions}.")


def area(path: str) -> str:
    """The library a frame's file belongs to: a site-packages package, this project's top folder, or Python."""
    parts = Path(path).parts
    for marker in ("site-packages", "dist-packages"):
        if marker in parts:
            package = parts[parts.index(marker) + 1] if parts.index(marker) + 1 < len(parts) else "?"
            return package.split(".")[0].removesuffix(".py")
    if Path(path).is_relative_to(ROOT):
        relative = Path(path).relative_to(ROOT).parts
        return "/".join(relative[:2]) if relative[0] == "services" else relative[0]
    stdlib = next((i for i, part in enumerate(parts) if re.fullmatch(r"python3\.\d+", part)), None)
    if stdlib is not None and stdlib + 1 < len(parts):
        return f"{parts[stdlib + 1].removesuffix('.py')} (Python)"
    return path or "?"


def read(name: str, path: Path) -> Profile:
    """A py-spy ``raw`` file (collapsed stacks: ``frame;frame;… count``), summed by each stack's innermost frame."""
    profile = Profile(name)
    if not path.exists():
        return profile
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        leaf = stack.split(";")[-1]
        match = _FRAME.match(leaf)
        function, file = (match["function"], match["file"]) if match else (leaf, "")
        profile.samples += int(count)
        profile.by_area[area(file)] += int(count)
        profile.by_function[f"{function} ({Path(file).name})"] += int(count)
    return profile


def _output(name: str) -> Path:
    """Where py-spy writes the profile called ``name`` (under .local/, which git ignores), emptied first."""
    OUT.mkdir(parents=True, exist_ok=True)
    out = OUT / f"{name.replace(' ', '-').replace('/', '-')}.txt"
    out.unlink(missing_ok=True)
    return out


@contextmanager
def sampled(name: str, pid: int) -> Iterator[list[Profile]]:
    """py-spy samples ``pid`` without stopping it while the block runs; the profile is in the list afterwards."""
    out = _output(name)
    spy = subprocess.Popen([*SPY, "--pid", str(pid), "--output", str(out)], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    found: list[Profile] = []
    try:
        yield found
    finally:
        spy.send_signal(signal.SIGINT)
        try:
            spy.wait(timeout=60)
        except subprocess.TimeoutExpired:
            spy.kill()
        found.append(read(name, out))


def command(name: str, argv: list[str], env: dict[str, str]) -> Profile:
    """Run ``python argv`` under py-spy from its start to its end."""
    out = _output(name)
    subprocess.run([*SPY, "--output", str(out), "--", sys.executable, *argv], env={**os.environ, **env}, cwd=ROOT,
                   check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # no profile: "no samples"
    return read(name, out)

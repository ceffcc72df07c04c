"""What the acceptance benchmarks share: fingerprints, the memory-bandwidth ceiling, target
profiles, and where results go (the database and a JSON file)."""

from __future__ import annotations

import json
import os
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from coach.services import benchruns
from models.build_flags import cpu_flags, cpu_model  # noqa: F401 - cpu_model is used by profiles
from models.fingerprint import fingerprint  # noqa: F401 - the harness's public name for it

PROFILES_DIR = Path(__file__).parent / "profiles"
DEFAULT_HEADROOM = 1.5


# -- the conditions a figure was measured under ------------------------------------------------------
def _read(path: str) -> str | None:
    try:
        return Path(path).read_text(encoding="utf-8").strip()
    except OSError:
        return None


def power_source() -> str:
    """'ac', 'battery' or 'unknown' (a VM has no power supply in /sys)."""
    supplies = list(Path("/sys/class/power_supply").glob("*"))
    for supply in supplies:
        if _read(str(supply / "type")) == "Mains" and _read(str(supply / "online")) == "1":
            return "ac"
    for supply in supplies:
        if _read(str(supply / "type")) == "Battery" and _read(str(supply / "status")) == "Discharging":
            return "battery"
    return "ac" if supplies else "unknown"


def cpu_mhz() -> float | None:
    values = [float(line.split(":")[1]) for line in (_read("/proc/cpuinfo") or "").splitlines()
              if line.startswith("cpu MHz")]
    return round(sum(values) / len(values), 1) if values else None


def conditions() -> dict[str, Any]:
    """What changes from run to run on one machine and explains a figure: the frequency governor, AC or
    battery, the load average, the clock. Kept beside the fingerprint, not in its id."""
    return {"governor": _read("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor") or "unavailable",
            "power": power_source(), "loadavg": (_read("/proc/loadavg") or "").split()[:3],
            "cpu_mhz": cpu_mhz(), "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


# -- the physical ceiling --------------------------------------------------------------------------
def ceiling(bandwidth: float, per_token: int, measured_tps: float) -> dict[str, float]:
    tps = bandwidth / per_token if per_token else 0.0
    return {"bandwidth_gb_s": round(bandwidth / 1e9, 2), "bytes_per_token_mb": round(per_token / 1e6, 1),
            "ceiling_tokens_per_s": round(tps, 1), "achieved_fraction": round(measured_tps / tps, 3) if tps else 0.0}


# -- profiles --------------------------------------------------------------------------------------
@dataclass
class Profile:
    name: str
    device: str
    headroom: float
    models: dict[str, dict[str, float]] = field(default_factory=dict)
    path: Path | None = None

    def threshold(self, model_id: str, key: str) -> float | None:
        return self.models.get(model_id, {}).get(key)


def profile_dirs() -> list[Path]:
    from models.datadir import data_dir

    return [PROFILES_DIR, data_dir() / "bench-profiles"]


def load_profile(name: str) -> Profile:
    for directory in profile_dirs():
        path = directory / f"{name}.toml"
        if path.is_file():
            data = tomllib.loads(path.read_text(encoding="utf-8"))
            return Profile(data["name"], data["device"], float(data.get("headroom", DEFAULT_HEADROOM)),
                           {k: dict(v) for k, v in data.get("models", {}).items()}, path)
    known = sorted({p.stem for d in profile_dirs() if d.is_dir() for p in d.glob("*.toml")})
    from models.errors import InputError

    raise InputError(f"no benchmark profile '{name}'", hint=f"known: {', '.join(known) or 'none'}")


def write_profile(name: str, device: str, measured: dict[str, dict[str, float]], headroom: float = DEFAULT_HEADROOM,
                  directory: Path | None = None) -> Path:
    """A profile from measured figures: each threshold = measured × headroom (stated in the file)."""
    directory = directory or profile_dirs()[0]
    if not os.access(directory, os.W_OK):
        directory = profile_dirs()[1]
    directory.mkdir(parents=True, exist_ok=True)
    lines = [f"# Written by `coach bench --calibrate {name}` on {time.strftime('%Y-%m-%d')} from measured figures.",
             f"# Every threshold is the measured value × {headroom} (the headroom below).",
             f'name = "{name}"', f'device = "{device}"', f"headroom = {headroom}", ""]
    for model_id, figures in sorted(measured.items()):
        lines.append(f'[models."{model_id}"]')
        for key, value in sorted(figures.items()):
            lines.append(f"{key} = {round(value * headroom, 3)}  # measured {round(value, 3)}")
        lines.append("")
    path = directory / f"{name}.toml"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


# -- results -------------------------------------------------------------------------------------
def results_dir() -> Path:
    from models.datadir import data_dir

    path = data_dir() / "bench"
    path.mkdir(exist_ok=True, mode=0o700)
    return path


def save_results(results: list[dict[str, Any]], *, extra: dict[str, Any] | None = None) -> Path | None:
    """Every result, with its fingerprint, into the database and one JSON file per run (with `extra`'s keys
    beside the results: an interleaved comparison keeps its sides and order there)."""
    if not results:
        return None
    from coach.storage import open_db

    db = open_db()
    stamp = time.strftime("%Y%m%d-%H%M%S") + f"-{time.time_ns() % 1_000_000_000:09d}"  # never two runs in one file
    path = results_dir() / f"run-{stamp}.json"
    path.write_text(json.dumps({"created_at": time.time(), **(extra or {}), "results": results}, indent=2),
                    encoding="utf-8")
    benchruns.record(db, [{"kind": r["name"], "model_id": r.get("model_id"), "fingerprint": r["fingerprint"],
                           "figures": r["figures"]} for r in results])
    return path


COMPARED = ("p50_ms", "p95_ms", "p99_ms", "ttft_s", "tokens_per_s", "prompt_tokens_per_s", "load_s", "peak_rss_mb",
            "overhead_ratio", "p95")


def compare_last(db: Any) -> list[str]:
    """Each benchmark's latest result against the previous one on the same fingerprint."""
    lines = []
    latest: dict[tuple[str, str], list[benchruns.BenchRun]] = {}
    for run in benchruns.history(db):
        latest.setdefault((run.kind, run.fingerprint.get("id", "")), []).append(run)
    for (kind, fp), rows in sorted(latest.items()):
        if not fp:
            continue
        now = rows[0].figures
        if len(rows) < 2:
            lines.append(f"{kind}: first run on fingerprint {fp}")
            continue
        before = rows[1].figures
        changes = []
        for key in COMPARED:
            if key in now and key in before and isinstance(now[key], int | float) and before[key]:
                delta = (now[key] - before[key]) / before[key] * 100
                changes.append(f"{key} {before[key]:.4g} → {now[key]:.4g} ({delta:+.1f}%)")
        lines.append(f"{kind} [{fp}]: " + ("; ".join(changes) or "no comparable figures"))
    return lines

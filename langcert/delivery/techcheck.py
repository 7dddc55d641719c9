"""The technical check's verdict, decided from what the browser measured.

The browser reports facts (its user agent, whether it got camera and microphone tracks,
the microphone's peak level, how many beeps the person heard, download time and round
trips); this module alone decides whether each criterion passes.
"""

import re
from typing import Any

MIN_BROWSER_VERSIONS = {"chrome": 100, "edge": 100, "firefox": 100, "safari": 15}
MIN_DOWNLOAD_MBPS = 1.0
MAX_ROUND_TRIP_MS = 800
MIN_MICROPHONE_PEAK = 0.02
PAYLOAD_BYTES = 256 * 1024
CRITERIA = ("browser", "camera", "microphone", "speakers", "connection")
MEASUREMENT_KEYS = ("user_agent", "camera_width", "microphone_peak", "beeps_heard",
                    "download_ms", "round_trips_ms")


def browser_ok(user_agent: str) -> bool:
    agent = user_agent or ""
    patterns = [("edge", r"Edg/(\d+)"), ("firefox", r"Firefox/(\d+)"),
                ("chrome", r"Chrom(?:e|ium)/(\d+)"), ("safari", r"Version/(\d+).*Safari/")]
    for name, pattern in patterns:
        match = re.search(pattern, agent)
        if match:
            return int(match.group(1)) >= MIN_BROWSER_VERSIONS[name]
    return False


def _number(data: dict[str, Any], key: str) -> float:
    try:
        return float(data.get(key) or 0)
    except (TypeError, ValueError):
        return 0.0


def verdict(measurements: dict[str, Any], beeps_played: int) -> dict[str, bool]:
    """Pass or fail for each criterion."""
    seconds = _number(measurements, "download_ms") / 1000
    mbps = (PAYLOAD_BYTES * 8 / 1_000_000) / seconds if seconds > 0 else 0.0
    round_trips = [float(v) for v in measurements.get("round_trips_ms") or []
                   if isinstance(v, int | float)]
    median_rtt = sorted(round_trips)[len(round_trips) // 2] if round_trips else float("inf")
    return {
        "browser": browser_ok(str(measurements.get("user_agent", ""))),
        "camera": _number(measurements, "camera_width") >= 320,
        "microphone": _number(measurements, "microphone_peak") >= MIN_MICROPHONE_PEAK,
        "speakers": int(_number(measurements, "beeps_heard")) == beeps_played,
        "connection": mbps >= MIN_DOWNLOAD_MBPS and median_rtt <= MAX_ROUND_TRIP_MS,
    }
